"""The design's boundaries, checked in code: services talk only over REST; shared holds no service."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("eligibility", "premium", "settlement")


def imported_modules(folder: Path) -> set[tuple[Path, str]]:
    found = set()
    for path in folder.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update((path, alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add((path, node.module))
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_imports_no_other_service(service: str) -> None:
    others = {f"huimin_{name}" for name in SERVICES if name != service} | {"huimin_cli"}
    offending = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path, module in imported_modules(ROOT / "services" / service)
        if module.split(".")[0] in others
    ]
    assert offending == []


def test_shared_imports_no_service() -> None:
    services = {f"huimin_{name}" for name in SERVICES} | {"huimin_cli"}
    offending = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path, module in imported_modules(ROOT / "shared")
        if module.split(".")[0] in services
    ]
    assert offending == []


def test_production_code_holds_no_assert() -> None:
    """Invariants are real errors: `python -O` strips assert statements (issue 11). Tests and the test
    helpers module may assert."""
    folders = [
        ROOT / "shared" / "huimin_shared",
        ROOT / "cli" / "huimin_cli",
        ROOT / "portal" / "huimin_portal",
    ]
    folders += [ROOT / "services" / name / "src" for name in SERVICES]
    offending = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for folder in folders
        for path in folder.rglob("*.py")
        if path.name != "testing.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        if isinstance(node, ast.Assert)
    ]
    assert offending == []


def test_the_portal_reaches_the_services_only_over_their_apis() -> None:
    """The portal holds no data: it imports no service (no models, no repositories), only calls them."""
    services = {f"huimin_{name}" for name in SERVICES} | {"huimin_cli", "sqlalchemy", "asyncpg"}
    offending = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path, module in imported_modules(ROOT / "portal" / "huimin_portal")
        if module.split(".")[0] in services
    ]
    assert offending == []
