"""Starting the three services: databases (configured or embedded), migrations, processes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from huimin_cli.services import PORTAL, SERVICES, PortalSpec, ServiceSpec
from huimin_shared import migrations, postgres


def project_data_dir() -> Path:
    """Where the embedded server keeps its data: ``.data/`` in the project (git-ignored)."""
    return Path(os.environ.get("HUIMIN_DATA_DIR", Path.cwd() / ".data"))


def resolve_database_urls(specs: tuple[ServiceSpec, ...] = SERVICES) -> tuple[dict[str, str], str]:
    """Each service's database URL: its own setting when given, else a database of its own on
    the embedded server (started here, created on first start). Returns the URLs and a note of
    where they point."""
    urls: dict[str, str] = {}
    missing = []
    for spec in specs:
        configured = spec.settings().database_url
        if configured:
            urls[spec.name] = configured
        else:
            missing.append(spec)
    if not missing:
        return urls, "configured database URLs"
    server = postgres.start_embedded(project_data_dir() / "pg")
    for spec in missing:
        urls[spec.name] = asyncio.run(postgres.create_database(server, spec.database_name))
    return urls, f"the embedded PostgreSQL server (data in {project_data_dir() / 'pg'})"


def migrate(urls: dict[str, str], specs: tuple[ServiceSpec, ...] = SERVICES) -> None:
    for spec in specs:
        migrations.upgrade(spec.migrations, urls[spec.name])


def start_processes(
    urls: dict[str, str], host: str = "127.0.0.1"
) -> list[tuple[ServiceSpec | PortalSpec, subprocess.Popen[bytes]]]:
    """The three services, each on its database, and the portal (:8000) in front of them."""
    processes: list[tuple[ServiceSpec | PortalSpec, subprocess.Popen[bytes]]] = []
    for spec in SERVICES:
        env = dict(os.environ)
        env[spec.env_prefix + "DATABASE_URL"] = urls[spec.name]
        if "HUIMIN_JWT_SECRET" in os.environ:  # one secret for the suite unless a service sets its own
            env.setdefault(spec.env_prefix + "JWT_SECRET", os.environ["HUIMIN_JWT_SECRET"])
        command = [
            sys.executable, "-m", "uvicorn", spec.app_factory, "--factory",
            "--host", host, "--port", str(spec.port), "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip
        processes.append((spec, subprocess.Popen(command, env=env)))
    processes.append((PORTAL, start_portal(host)))
    return processes


def portal_environment(host: str) -> dict[str, str]:
    """The portal's settings: where the three services are and, if set, the suite's JWT secret (for
    its development sign-in); a PORTAL_* variable already set wins."""
    env = dict(os.environ)
    for spec in SERVICES:
        env.setdefault(f"{PORTAL.env_prefix}{spec.name.upper()}_URL", f"http://{host}:{spec.port}")
    if "HUIMIN_JWT_SECRET" in os.environ:
        env.setdefault(PORTAL.env_prefix + "JWT_SECRET", os.environ["HUIMIN_JWT_SECRET"])
    return env


def start_portal(host: str) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "uvicorn", PORTAL.app_factory, "--factory",
        "--host", host, "--port", str(PORTAL.port), "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    return subprocess.Popen(command, env=portal_environment(host))


def wait_ready(host: str, timeout: float = 60.0) -> list[str]:
    """Wait until every service's /ready answers 200; return the names still not ready."""
    deadline = time.monotonic() + timeout
    pending = {spec.name: f"http://{host}:{spec.port}/ready" for spec in SERVICES}
    while pending and time.monotonic() < deadline:
        for name, url in list(pending.items()):
            try:
                if httpx.get(url, timeout=1.0).status_code == 200:
                    del pending[name]
            except httpx.HTTPError:
                pass
        if pending:
            time.sleep(0.2)
    return sorted(pending)


def stop_processes(
    processes: list[tuple[ServiceSpec | PortalSpec, subprocess.Popen[bytes]]], grace: float = 10.0
) -> None:
    for _, process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for _, process in processes:
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
