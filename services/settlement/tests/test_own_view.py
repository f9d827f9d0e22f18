"""DRS-8 in settlement: a resident reads their own payments (trace) and read log, nobody else's."""

import httpx

from huimin_shared.auth import Role
from huimin_shared.testing import bearer

NUMBER = "210502198001011234"
OTHER = "210502198001012018"


async def test_a_resident_reads_their_own_trace_and_log_and_nobody_elses(client: httpx.AsyncClient) -> None:
    resident = bearer(Role.resident, subject=NUMBER)
    for path in (f"/v1/traces/{NUMBER}", f"/v1/residents/{NUMBER}/reads"):
        assert (await client.get(path, headers=resident)).status_code == 200, path
    for path in (f"/v1/traces/{OTHER}", f"/v1/residents/{OTHER}/reads", "/v1/batches", "/v1/schedule"):
        assert (await client.get(path, headers=resident)).status_code == 403, path


async def test_settlements_read_log_roles(client: httpx.AsyncClient) -> None:
    path = f"/v1/residents/{NUMBER}/reads"
    for role in ("auditor", "civil_affairs", "finance"):
        response = await client.get(path, headers=bearer(role))
        assert response.status_code == 200, role
        assert response.json() == {"id_number": NUMBER, "reads": []}
    for role in ("social_insurance", "community_officer", "service"):
        assert (await client.get(path, headers=bearer(role))).status_code == 403, role
    assert (await client.get(path, headers=bearer("auditor", region="210502"))).status_code == 403
