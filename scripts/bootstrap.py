#!/usr/bin/env python3
"""Make the project's own environment from nothing but Python 3.11+.

Creates .tools/ (a virtual environment holding only the pinned uv) and .venv/ (the project,
installed from the committed uv.lock with `uv sync --frozen`). Re-running does nothing unless
the lock file or a pyproject changed. Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

UV_VERSION = "0.13.9"
ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / ".tools"
VENV = ROOT / ".venv"
STAMP = VENV / ".huimin-synced"


def _bin(env: Path, name: str) -> Path:
    return env / ("Scripts" if os.name == "nt" else "bin") / name


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted([ROOT / "uv.lock", *ROOT.glob("**/pyproject.toml")]):
        if ".venv" in path.parts or ".tools" in path.parts:
            continue
        digest.update(path.read_bytes())
    digest.update(UV_VERSION.encode())
    return digest.hexdigest()


def ensure_uv() -> Path:
    uv = _bin(TOOLS, "uv")
    if uv.exists():
        current = subprocess.run([str(uv), "--version"], capture_output=True, text=True).stdout
        if UV_VERSION in current:
            return uv
    print(f"bootstrap: installing uv {UV_VERSION} into .tools/", file=sys.stderr)
    venv.create(TOOLS, with_pip=True, clear=True)
    subprocess.run(
        [str(_bin(TOOLS, "python")), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         f"uv=={UV_VERSION}"],
        check=True,
    )  # fmt: skip
    return uv


CHROMIUM = Path("/usr/bin/chromium")
# Debian's browser for the portal's tests (Playwright's own download is not used), and CJK fonts so
# its screenshots show the Chinese labels.
BROWSER_PACKAGES = ("chromium", "fonts-noto-cjk")


def ensure_browser() -> int:
    """Install Debian's chromium when it is missing (as root, with apt-get); say what to do otherwise."""
    if CHROMIUM.exists():
        return 0
    apt_get = shutil.which("apt-get")
    if apt_get is None or os.geteuid() != 0:
        print(
            f"bootstrap: {CHROMIUM} is missing; install Debian's chromium package "
            f"(sudo apt-get install {' '.join(BROWSER_PACKAGES)}) for the portal's browser tests",
            file=sys.stderr,
        )
        return 1
    print(f"bootstrap: installing {', '.join(BROWSER_PACKAGES)} with apt-get", file=sys.stderr)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run([apt_get, "update", "-qq"], check=True, env=env)
    subprocess.run([apt_get, "install", "-y", "-qq", *BROWSER_PACKAGES], check=True, env=env)
    return 0


def main() -> int:
    if "--browser" in sys.argv[1:]:
        return ensure_browser()
    if sys.version_info < (3, 11):  # noqa: UP036 - runs under whatever python3 the newcomer has
        print("huimin needs Python 3.11 or newer", file=sys.stderr)
        return 1
    fingerprint = _fingerprint()
    if STAMP.exists() and STAMP.read_text() == fingerprint and _bin(VENV, "huimin").exists():
        return 0
    uv = ensure_uv()
    env = dict(
        os.environ, UV_PROJECT_ENVIRONMENT=str(VENV), UV_PYTHON=sys.executable, UV_PYTHON_DOWNLOADS="never"
    )
    print("bootstrap: installing the locked dependencies into .venv/", file=sys.stderr)
    subprocess.run([str(uv), "sync", "--frozen", "--all-packages", "--quiet"], cwd=ROOT, env=env, check=True)
    STAMP.write_text(fingerprint)
    return 0


if __name__ == "__main__":
    sys.exit(main())
