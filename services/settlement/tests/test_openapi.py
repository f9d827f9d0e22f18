"""Every settlement route is documented and role-checked (team standard; S4 maker-checker roles)."""

from huimin_shared.auth import Role
from huimin_shared.testing import bearer


async def test_every_route_has_a_summary_a_description_and_its_roles(client) -> None:
    """Every /v1 route states its summary, its Chinese term, its roles and its problem responses."""
    schema = (await client.get("/openapi.json")).json()
    operations = [
        (path, method, op)
        for path, item in schema["paths"].items()
        if path.startswith("/v1/")
        for method, op in item.items()
    ]
    assert len(operations) >= 25
    for path, method, operation in operations:
        assert operation.get("summary"), (method, path)
        assert "**Roles:**" in operation["description"], (method, path)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in operation["summary"] + operation["description"]), path
        assert "401" in operation["responses"], (method, path)


async def test_a_token_without_a_settlement_role_is_refused(client) -> None:
    """S1: community officers do not move or read the ledger."""
    response = await client.get("/v1/accounts", headers=bearer(Role.community_officer))
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert (await client.get("/v1/accounts")).status_code == 401
