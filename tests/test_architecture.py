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


def test_policy_imports_no_service_and_shared_imports_no_policy() -> None:
    """Issue 12: the policy package is read by the services, never the other way round; shared (platform
    code, which policy builds on) knows nothing of policy."""
    services = {f"huimin_{name}" for name in SERVICES} | {"huimin_cli", "huimin_portal"}
    offending = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path, module in imported_modules(ROOT / "policy" / "huimin_policy")
        if module.split(".")[0] in services
    ]
    offending += [
        f"{path.relative_to(ROOT)} imports {module}"
        for path, module in imported_modules(ROOT / "shared" / "huimin_shared")
        if module.split(".")[0] == "huimin_policy"
    ]
    assert offending == []


def test_production_code_holds_no_assert() -> None:
    """Invariants are real errors: `python -O` strips assert statements (issue 11). Tests and the test
    helpers module may assert."""
    folders = [
        ROOT / "shared" / "huimin_shared",
        ROOT / "policy" / "huimin_policy",
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


# Routers that still do a service's work, being moved out on other branches (issue 12 item 2): none now.
ROUTERS_BEING_FIXED: set[str] = set()
TRANSACTION_CALLS = {"begin", "begin_nested", "commit", "rollback", "flush"}


def reach_past_the_service(source: str) -> list[str]:
    """What a router does that is its service's job: reach ``service.repository``, build a ``…Repository``,
    or open, commit or roll back a transaction — as ``line: what``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr == "repository":
            found.append(f"{node.lineno}: reaches .repository")
        elif isinstance(node, ast.Call):
            called = node.func
            name = called.id if isinstance(called, ast.Name) else getattr(called, "attr", "")
            if name.endswith("Repository"):
                found.append(f"{node.lineno}: builds {name}")
            elif isinstance(called, ast.Attribute) and name in TRANSACTION_CALLS:
                found.append(f"{node.lineno}: calls .{name}()")
    return sorted(found, key=lambda finding: int(finding.split(":")[0]))


def test_routers_call_services_and_leave_repositories_and_transactions_to_them() -> None:
    """Issue 12 item 2: a router parses, authorises and calls its service; the service owns the
    transaction and its repositories. import-linter (make lint) forbids a router importing a repository;
    this catches what an import graph cannot: ``service.repository.x`` reach-throughs, repositories built
    from an imported name, and savepoints or commits opened in a router."""
    offending = [
        f"{path.relative_to(ROOT)}:{finding}"
        for name in SERVICES
        for path in sorted((ROOT / "services" / name / "src").rglob("router.py"))
        if str(path.relative_to(ROOT)) not in ROUTERS_BEING_FIXED
        for finding in reach_past_the_service(path.read_text(encoding="utf-8"))
    ]
    assert offending == []


def test_the_router_check_finds_each_thing_it_forbids() -> None:
    """So that an empty result above means the routers are clean, not that the check is blind."""
    source = (
        "async def route(session, service):\n"
        "    rows = await service.repository.rows()\n"
        "    other = ApplicationRepository(session)\n"
        "    async with session.begin_nested():\n"
        "        await session.commit()\n"
        "    return await service.list_readable(session)\n"
    )
    assert reach_past_the_service(source) == [
        "2: reaches .repository",
        "3: builds ApplicationRepository",
        "4: calls .begin_nested()",
        "5: calls .commit()",
    ]
