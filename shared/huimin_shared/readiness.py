"""Waiting for started services: one bound for every wait, and the service's last log lines when
it runs out.

``HUIMIN_READY_TIMEOUT_SECONDS`` is read here and only here: the CLI (``huimin run``, the demo),
the end-to-end tests, the tests that wait for a background job and the benchmarks all wait this
long. The default is generous because a loaded machine can take tens of seconds just to import a
service; raise it rather than retrying.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from huimin_shared.idnumber import mask_in_text

READY_TIMEOUT_ENV = "HUIMIN_READY_TIMEOUT_SECONDS"
DEFAULT_READY_TIMEOUT_SECONDS = 120.0
LOG_LINES_SHOWN = 20


def ready_timeout_seconds() -> float:
    """How long any wait for a service (or a job it runs) may take before it gives up."""
    raw = os.environ.get(READY_TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_READY_TIMEOUT_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        raise ValueError(f"{READY_TIMEOUT_ENV}={raw!r} is not a number of seconds") from None
    if not seconds > 0:
        raise ValueError(f"{READY_TIMEOUT_ENV}={raw!r} must be a positive number of seconds")
    return seconds


def last_lines(path: Path, count: int = LOG_LINES_SHOWN) -> list[str]:
    """The last ``count`` lines of a log file (ID numbers masked), or none if it does not exist."""
    try:
        with path.open(encoding="utf-8", errors="replace") as log:
            return [mask_in_text(line.rstrip("\n")) for line in deque(log, maxlen=count)]
    except FileNotFoundError:
        return []


@dataclass(frozen=True)
class Started:
    """A service process being waited for: where its /ready is and where it writes its log."""

    ready_url: str
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None


class NotReady(RuntimeError):
    """A service did not become ready in time (or exited); the message carries its last log lines."""


def _explain(name: str, started: Started, why: str) -> str:
    lines = [f"{name} {why}"]
    if started.log is not None:
        tail = last_lines(started.log)
        lines.append(f"last {len(tail)} lines of {started.log}:" if tail else f"{started.log} is empty")
        lines.extend("  " + line for line in tail)
    return "\n".join(lines)


def wait_until_ready(services: Mapping[str, Started], timeout: float | None = None) -> None:
    """Poll every service's /ready until it answers 200. Raises ``NotReady`` naming each service
    still not ready (or exited) with its last log lines and what /ready last said."""
    limit = ready_timeout_seconds() if timeout is None else timeout
    deadline = time.monotonic() + limit
    pending = dict(services)
    last_answer: dict[str, str] = {}
    while pending:
        for name, started in list(pending.items()):
            if started.process is not None and started.process.poll() is not None:
                code = started.process.returncode
                raise NotReady(_explain(name, started, f"exited with code {code} before it was ready"))
            try:
                response = httpx.get(started.ready_url, timeout=5.0)
            except httpx.HTTPError as exc:
                last_answer[name] = f"no answer ({exc.__class__.__name__})"
                continue
            if response.status_code == 200:
                del pending[name]
            else:
                last_answer[name] = f"{response.status_code} {response.text[:300]}"
        if not pending:
            return
        if time.monotonic() >= deadline:
            raise NotReady(
                "\n".join(
                    _explain(
                        name,
                        started,
                        f"not ready after {limit:g} s (/ready: {last_answer.get(name, 'not asked')}); "
                        f"set {READY_TIMEOUT_ENV} to wait longer",
                    )
                    for name, started in pending.items()
                )
            )
        time.sleep(0.2)
