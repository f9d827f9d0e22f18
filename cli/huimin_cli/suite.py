"""Starting the three services: databases (configured or embedded), migrations, processes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from huimin_cli.services import PORTAL, SERVICES, PortalSpec, ServiceSpec
from huimin_shared import migrations, postgres, readiness


def project_data_dir() -> Path:
    """Where the embedded server keeps its data: ``.data/`` in the project (git-ignored)."""
    return Path(os.environ.get("HUIMIN_DATA_DIR", Path.cwd() / ".data"))


def log_dir() -> Path:
    """Where ``huimin run`` writes each service's JSON log: ``.data/logs/<service>.log``."""
    return project_data_dir() / "logs"


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


def uvicorn_command(spec: ServiceSpec, host: str, port: int, replicas: int = 1) -> list[str]:
    """The command that serves one service; with ``replicas`` > 1, uvicorn's own supervisor runs that many
    worker processes behind the one port (the kernel spreads connections over them, and a worker that dies
    is restarted). Nothing a replica needs lives in another's memory: jobs are leased rows in the database."""
    command = [
        sys.executable, "-m", "uvicorn", spec.app_factory, "--factory",
        "--host", host, "--port", str(port), "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    if replicas > 1:
        command += ["--workers", str(replicas)]
    return command


def start_processes(
    urls: dict[str, str], host: str = "127.0.0.1", logs: Path | None = None, replicas: int = 1
) -> list[tuple[ServiceSpec | PortalSpec, subprocess.Popen[bytes]]]:
    """Start the three services, each on its database, and the portal (:8000) in front of them; each
    one's output (JSON log lines) is appended to ``<logs>/<name>.log``, so the terminal keeps only the
    command's own human lines."""
    logs = logs or log_dir()
    logs.mkdir(parents=True, exist_ok=True)
    processes: list[tuple[ServiceSpec | PortalSpec, subprocess.Popen[bytes]]] = []
    for spec in SERVICES:
        env = dict(os.environ)
        env[spec.env_prefix + "DATABASE_URL"] = urls[spec.name]
        if "HUIMIN_JWT_SECRET" in os.environ:  # one secret for the suite unless a service sets its own
            env.setdefault(spec.env_prefix + "JWT_SECRET", os.environ["HUIMIN_JWT_SECRET"])
        command = uvicorn_command(spec, host, spec.port, replicas)
        with (logs / f"{spec.name}.log").open("ab") as log:  # the child keeps its own descriptor
            processes.append((spec, subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)))
    processes.append((PORTAL, start_portal(host, logs)))
    return processes


def portal_environment(host: str) -> dict[str, str]:
    """The portal's settings: where the three services are and, if set, the suite's JWT secret (for
    its development sign-in); a PORTAL_* variable already set wins."""
    env = dict(os.environ)
    for spec in SERVICES:
        env.setdefault(
            f"{PORTAL.env_prefix}{spec.name.upper()}_URL", f"http://{_connectable(host)}:{spec.port}"
        )
    if "HUIMIN_JWT_SECRET" in os.environ:
        env.setdefault(PORTAL.env_prefix + "JWT_SECRET", os.environ["HUIMIN_JWT_SECRET"])
    return env


def start_portal(host: str, logs: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "uvicorn", PORTAL.app_factory, "--factory",
        "--host", host, "--port", str(PORTAL.port), "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    with (logs / f"{PORTAL.name}.log").open("ab") as log:
        return subprocess.Popen(command, env=portal_environment(host), stdout=log, stderr=subprocess.STDOUT)


def wait_ready(
    processes: list[tuple[ServiceSpec | PortalSpec, subprocess.Popen[bytes]]],
    host: str,
    logs: Path | None = None,
) -> None:
    """Wait (HUIMIN_READY_TIMEOUT_SECONDS) until every service's /ready (the portal's /health) answers 200;
    raises ``NotReady`` with the last lines of the log of each one that did not make it."""
    logs = logs or log_dir()
    readiness.wait_until_ready(
        {
            spec.name: readiness.Started(
                f"http://{_connectable(host)}:{spec.port}/{'health' if spec is PORTAL else 'ready'}",
                process,
                logs / f"{spec.name}.log",
            )
            for spec, process in processes
        }
    )


def _connectable(host: str) -> str:
    """Where to reach a server listening on ``host`` (all interfaces are reached on loopback)."""
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


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
