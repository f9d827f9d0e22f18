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


async def test_every_person_on_a_batch_lines_page_and_a_trace_is_read_logged(
    ledger, premium, make_line, make_id
) -> None:
    """DRS-8: a page of batch lines logs each person on it; a trace logs the person traced."""
    shown, traced = make_id("210502", "19800101", 21), make_id("210521", "19400101", 23)
    premium.publish(
        "A-2010",
        [
            make_line(shown, "210502", "dibao", "adult", ("0.00", "0.00", "126.00", "54.00")),
            make_line(traced, "210521", "dibao", "elderly", ("0.00", "0.00", "50.00", "50.00")),
        ],
    )
    maker = bearer(Role.social_insurance, subject="si-clerk")
    payload = {"city": "210500", "year": 2010, "assessment_id": "A-2010", "assessment_version": 1}
    batch = (
        await ledger.client.post("/v1/batches", json={**payload, "kind": "dibao_collective"}, headers=maker)
    ).json()
    finance = bearer(Role.finance, subject="finance-clerk")
    page = await ledger.client.get(f"/v1/batches/{batch['id']}/lines", params={"limit": 1}, headers=finance)
    assert [line["id_number"] for line in page.json()["items"]] == [shown]
    auditor = bearer(Role.auditor, subject="auditor-1")
    await ledger.client.get(f"/v1/traces/{traced}", headers=auditor)

    async def reads(number: str) -> list[tuple[str, str]]:
        body = (await ledger.client.get(f"/v1/residents/{number}/reads", headers=auditor)).json()
        return [(r["reader"], r["purpose"]) for r in body["reads"]]

    assert await reads(shown) == [("finance-clerk", "batch_lines")]
    assert await reads(traced) == [("auditor-1", "trace")]
