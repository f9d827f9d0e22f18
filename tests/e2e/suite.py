"""The three services as real processes (uvicorn) on loopback ports, each on its own database."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path

from huimin_shared.readiness import Started, ready_timeout_seconds, wait_until_ready
from huimin_shared.testing import service_database

SERVICES = ("eligibility", "premium", "settlement")
# Every request of the end-to-end tests may take this long on a loaded machine (a year step, the
# OpenAPI document built on first request): the one readiness bound, never a shorter default.
WAIT = ready_timeout_seconds()
PEERS = {
    "premium": {"ELIGIBILITY_URL": "eligibility", "SETTLEMENT_URL": "settlement"},
    "settlement": {"PREMIUM_URL": "premium", "ELIGIBILITY_URL": "eligibility"},
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Suite:
    ports: dict[str, int]
    database_urls: dict[str, str]
    log_dir: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def environment(self, service: str) -> dict[str, str]:
        prefix = service.upper() + "_"
        env = dict(os.environ)
        env[prefix + "DATABASE_URL"] = self.database_urls[service]
        env[prefix + "ENVIRONMENT"] = "test"
        env[prefix + "PEER_RETRY_ATTEMPTS"] = "2"
        env[prefix + "PEER_TIMEOUT_SECONDS"] = "5"
        if service == "eligibility":  # the test deployment serves Benxi and Chengdu (E1 at the door)
            env[prefix + "CITIES"] = '["210500", "510100"]'
        for setting, peer in PEERS.get(service, {}).items():
            env[prefix + setting] = self.url(peer)
        return env

    def start(self, service: str) -> None:
        log = (self.log_dir / f"{service}.log").open("ab")
        command = [
            sys.executable, "-m", "uvicorn", f"huimin_{service}.app:create_app", "--factory",
            "--host", "127.0.0.1", "--port", str(self.ports[service]), "--no-access-log",
        ]  # fmt: skip
        self.processes[service] = subprocess.Popen(
            command, env=self.environment(service), stdout=log, stderr=subprocess.STDOUT
        )
        self.wait_ready(service)

    def wait_ready(self, service: str) -> None:
        """Bounded by HUIMIN_READY_TIMEOUT_SECONDS; on giving up, the error shows the service's log."""
        started = Started(
            self.url(service) + "/ready", self.processes[service], self.log_dir / f"{service}.log"
        )
        wait_until_ready({service: started})

    def stop(self, service: str) -> None:
        process = self.processes.pop(service, None)
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def stop_all(self) -> None:
        for service in list(self.processes):
            self.stop(service)


async def databases(stack: AsyncExitStack, prefix: str = "e2e") -> dict[str, str]:
    urls = {}
    for service in SERVICES:
        migrations = f"huimin_{service}:migrations"
        urls[service] = await stack.enter_async_context(service_database(f"{prefix}_{service}", migrations))
    return urls
