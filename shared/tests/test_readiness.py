"""One bound for every wait for a service, and its last log lines when the wait gives up (issue 10)."""

import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from huimin_shared.readiness import (
    DEFAULT_READY_TIMEOUT_SECONDS,
    READY_TIMEOUT_ENV,
    NotReady,
    Started,
    last_lines,
    ready_timeout_seconds,
    wait_until_ready,
)


def test_the_default_wait_is_generous(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(READY_TIMEOUT_ENV, raising=False)
    assert ready_timeout_seconds() == DEFAULT_READY_TIMEOUT_SECONDS >= 60


def test_the_wait_is_configured_by_one_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(READY_TIMEOUT_ENV, "300")
    assert ready_timeout_seconds() == 300.0


@pytest.mark.parametrize("value", ["soon", "0", "-5", "nan"])
def test_a_wait_that_is_not_a_positive_number_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(READY_TIMEOUT_ENV, value)
    with pytest.raises(ValueError, match=READY_TIMEOUT_ENV):
        ready_timeout_seconds()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _process(code: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        process = subprocess.Popen([sys.executable, "-c", code], stdout=out, stderr=subprocess.STDOUT)
    return process


def test_giving_up_names_the_service_the_setting_and_shows_its_last_log_lines(tmp_path: Path) -> None:
    log = tmp_path / "premium.log"
    process = _process(
        "import time\nfor n in range(30): print(f'line {n}')\n"
        "print('importing 210502198001011234', flush=True)\ntime.sleep(60)",
        log,
    )
    try:
        with pytest.raises(NotReady) as gave_up:
            wait_until_ready(
                {"premium": Started(f"http://127.0.0.1:{_closed_port()}/ready", process, log)}, timeout=3
            )
    finally:
        process.kill()
        process.wait()
    message = str(gave_up.value)
    assert message.startswith("premium not ready after 3 s")
    assert READY_TIMEOUT_ENV in message
    assert "line 29" in message
    assert "line 9\n" not in message  # the last 20 lines only
    assert "210502198001011234" not in message, "ID numbers stay masked in what is shown"


def test_a_service_that_exits_is_reported_at_once_with_its_log(tmp_path: Path) -> None:
    log = tmp_path / "settlement.log"
    process = _process("import sys\nprint('SETTLEMENT_JWT_SECRET is empty', flush=True)\nsys.exit(3)", log)
    process.wait()
    with pytest.raises(NotReady, match=r"(?s)settlement exited with code 3.*SETTLEMENT_JWT_SECRET is empty"):
        wait_until_ready({"settlement": Started(f"http://127.0.0.1:{_closed_port()}/ready", process, log)})


@pytest.fixture
def ready_url() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/ready"
    server.shutdown()


def test_a_ready_service_is_not_waited_for(ready_url: str) -> None:
    wait_until_ready({"eligibility": Started(ready_url)})


def test_last_lines_of_a_missing_log_are_none(tmp_path: Path) -> None:
    assert last_lines(tmp_path / "absent.log") == []
