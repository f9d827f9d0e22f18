"""Every /v1 route is documented: summary, description naming its roles, and problem responses."""

import httpx


async def test_every_route_is_documented_and_role_checked(client: httpx.AsyncClient) -> None:
    """Team rule: every route role-checked and documented (the Chinese term in its description)."""
    schema = (await client.get("/openapi.json")).json()
    operations = [
        (path, method, operation)
        for path, methods in schema["paths"].items()
        if path.startswith("/v1/")
        for method, operation in methods.items()
    ]
    # 18 + the grouped read of a version (`/groups`) + publishing a pack (3) + the two job reads + a
    # person's own lines and read log (DRS-8, 2) + the event subscriptions (6, docs/events.md)
    assert len(operations) == 32
    for path, method, operation in operations:
        assert operation.get("summary"), (path, method)
        assert "**Roles:**" in operation["description"], (path, method)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in operation["description"]), (path, method)
        assert "401" in operation["responses"], (path, method)
