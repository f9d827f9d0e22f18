"""`huimin run` keeps the terminal for human lines: each service's output (its JSON log) goes to
``.data/logs/<service>.log`` (issue 10 item 5)."""

import subprocess
from pathlib import Path
from typing import Any

import pytest

from huimin_cli import suite


class _Recorded:
    def __init__(self, command: list[str], **kwargs: Any) -> None:
        self.command = command
        self.kwargs = kwargs
        self.log_name = Path(kwargs["stdout"].name).name


def test_each_service_writes_its_log_to_a_file_of_its_own(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(subprocess, "Popen", _Recorded)
    urls = {spec.name: f"postgresql://x/{spec.name}" for spec in suite.SERVICES}
    started = suite.start_processes(urls, "127.0.0.1", tmp_path / "logs")
    for spec, process in started:
        assert isinstance(process, _Recorded)
        assert process.log_name == f"{spec.name}.log"
        assert process.kwargs["stderr"] is subprocess.STDOUT
        assert (tmp_path / "logs" / f"{spec.name}.log").exists()


def test_the_logs_live_under_the_data_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HUIMIN_DATA_DIR", str(tmp_path))
    assert suite.log_dir() == tmp_path / "logs"
