"""Production defaults in the deploy files (issue 10 item 6, issue 11): docker-compose.yml runs the
services in production mode behind /ready healthchecks, reads secrets from a git-ignored env file,
publishes ports on loopback unless asked; the README's settings table lists every setting.

Docker cannot run here, so the compose file is parsed and its structure checked."""

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from huimin_cli.services import SERVICES, ServiceSpec

ROOT = Path(__file__).resolve().parents[2]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
ENV_FILE = "deploy/huimin.env"
EXAMPLE = ROOT / "deploy" / "huimin.env.example"
SECRET_NAME = re.compile(r"SECRET|PASSWORD|PRIVATE_KEY|TOKEN")


def _service(spec: ServiceSpec) -> dict[str, Any]:
    service: dict[str, Any] = COMPOSE["services"][spec.name]
    return service


@pytest.mark.parametrize("spec", SERVICES, ids=lambda spec: spec.name)
def test_each_service_runs_in_production_mode(spec: ServiceSpec) -> None:
    assert _service(spec)["environment"][spec.env_prefix + "ENVIRONMENT"] == "production"


@pytest.mark.parametrize("spec", SERVICES, ids=lambda spec: spec.name)
def test_each_service_is_healthy_only_when_its_ready_answers(spec: ServiceSpec) -> None:
    check = _service(spec)["healthcheck"]
    command = " ".join(check["test"])
    assert f"http://127.0.0.1:{spec.port}/ready" in command
    assert "/health" not in command, "liveness is not readiness"
    assert check["start_period"]
    assert check["retries"] >= 1


@pytest.mark.parametrize("spec", SERVICES, ids=lambda spec: spec.name)
def test_ports_are_published_on_loopback_unless_asked(spec: ServiceSpec) -> None:
    assert _service(spec)["ports"] == [f"${{HUIMIN_BIND_ADDRESS:-127.0.0.1}}:{spec.port}:{spec.port}"]


def test_no_container_publishes_a_port_on_every_interface_by_default() -> None:
    for name, service in COMPOSE["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("${HUIMIN_BIND_ADDRESS:-127.0.0.1}:"), (name, port)


def test_secrets_come_from_the_env_file_never_from_the_compose_file() -> None:
    for name, service in COMPOSE["services"].items():
        assert service.get("env_file") == [ENV_FILE], name
        written_in = [key for key in service.get("environment", {}) if SECRET_NAME.search(key)]
        assert written_in == [], f"{name} sets {written_in} in the compose file"
    assert "development-secret" not in (ROOT / "docker-compose.yml").read_text(encoding="utf-8")


def test_the_real_env_file_is_git_ignored_and_the_example_is_committed() -> None:
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", ENV_FILE], cwd=ROOT, check=False, capture_output=True
    )
    assert ignored.returncode == 0, f"{ENV_FILE} must be git-ignored"
    tracked = subprocess.run(
        ["git", "ls-files", "--error-unmatch", "deploy/huimin.env.example"],
        cwd=ROOT,
        check=False,
        capture_output=True,
    )
    assert tracked.returncode == 0, "deploy/huimin.env.example must be committed"


def _example_settings() -> dict[str, str]:
    settings = {}
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            settings[name.strip()] = value.strip()
    return settings


def test_the_example_names_every_required_production_setting_and_fills_no_secret() -> None:
    example = _example_settings()
    required = {"POSTGRES_USER", "POSTGRES_PASSWORD", "ELIGIBILITY_CERTIFICATE_PRIVATE_KEY"}
    for spec in SERVICES:
        required |= {spec.env_prefix + "DATABASE_URL", spec.env_prefix + "JWT_SECRET"}
    assert required <= set(example), sorted(required - set(example))
    filled = {name: value for name, value in example.items() if SECRET_NAME.search(name) and value}
    assert filled == {}, "the example must not carry a usable secret"


def _readme_settings() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]


@pytest.mark.parametrize("spec", SERVICES, ids=lambda spec: spec.name)
def test_the_readme_settings_table_lists_every_setting(spec: ServiceSpec) -> None:
    section = _readme_settings()
    missing = [
        spec.env_prefix + field.upper()
        for field in spec.settings_class.model_fields
        if f"`{spec.env_prefix}{field.upper()}`" not in section and f"<PREFIX>{field.upper()}`" not in section
    ]
    assert missing == [], f"README 'Configuration' lacks {missing}"


def test_the_readme_marks_what_production_requires() -> None:
    section = _readme_settings()
    for required in ("ELIGIBILITY_CERTIFICATE_PRIVATE_KEY", "<PREFIX>JWT_SECRET", "<PREFIX>DATABASE_URL"):
        row = next(line for line in section.splitlines() if f"`{required}`" in line)
        assert "required in production" in row, row
