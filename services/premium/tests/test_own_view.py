"""DRS-8 in premium: a quote by ID number is in the person's read log naming the caller, and reaches
eligibility with the caller's own token (X-On-Behalf-Of); a resident reads their own lines and log only."""

import httpx
import respx

from huimin_shared.auth import ON_BEHALF_OF_HEADER, Role
from huimin_shared.testing import bearer

NUMBER = "210502198001011234"
OFFICER = bearer(Role.community_officer, region="210502", subject="officer-ps")
AUDITOR = bearer(Role.auditor, subject="auditor-1")
STATUS = {
    "id_number": NUMBER,
    "on": "2010-01-01",
    "as_of": "2010-01-01T00:00:00+08:00",
    "eligible": True,
    "categories": ["dibao"],
    "age_group": "adult",
    "birth_date": "1980-01-01",
    "sex": "male",
    "region_code": "210502",
    "employee_insurance": False,
    "excluded_reason": None,
    "insutype": "391",
    "psn_type": "15",
    "certificate": "x.y.z",
}


@respx.mock
async def test_a_quote_by_id_number_carries_the_caller_and_is_read_logged(client: httpx.AsyncClient) -> None:
    route = respx.get(f"http://127.0.0.1:8001/v1/residents/{NUMBER}/status").mock(
        return_value=httpx.Response(200, json=STATUS)
    )
    response = await client.post("/v1/quotes", json={"year": 2010, "id_number": NUMBER}, headers=OFFICER)
    assert response.status_code == 200, response.text
    sent = route.calls.last.request.headers
    assert sent[ON_BEHALF_OF_HEADER] == OFFICER["Authorization"].removeprefix("Bearer ")
    assert sent["authorization"] != OFFICER["Authorization"]  # premium's own service token
    reads = (await client.get(f"/v1/residents/{NUMBER}/reads", headers=AUDITOR)).json()["reads"]
    assert [(r["reader"], r["role"], r["purpose"]) for r in reads] == [
        ("officer-ps", "community_officer", "quote")
    ]


@respx.mock
async def test_a_quote_refused_by_eligibility_for_the_callers_region_is_the_usual_404(
    client: httpx.AsyncClient,
) -> None:
    respx.get(f"http://127.0.0.1:8001/v1/residents/{NUMBER}/status").mock(
        return_value=httpx.Response(
            403, json={"type": "about:blank/out-of-region", "title": "t", "status": 403}
        )
    )
    elsewhere = bearer(Role.community_officer, region="210503", subject="officer-xh")
    response = await client.post("/v1/quotes", json={"year": 2010, "id_number": NUMBER}, headers=elsewhere)
    assert response.status_code == 404
    assert (await client.get(f"/v1/residents/{NUMBER}/reads", headers=AUDITOR)).json()["reads"] == []


async def test_a_resident_reads_their_own_lines_and_log_and_nobody_elses(client: httpx.AsyncClient) -> None:
    resident = bearer(Role.resident, subject=NUMBER)
    other = "210502198001012018"
    own = await client.get(f"/v1/residents/{NUMBER}/assessments", headers=resident)
    assert own.status_code == 200, own.text
    assert own.json() == {"id_number": NUMBER, "items": []}
    assert (await client.get(f"/v1/residents/{NUMBER}/reads", headers=resident)).status_code == 200
    for path in (f"/v1/residents/{other}/assessments", f"/v1/residents/{other}/reads", "/v1/assessments"):
        assert (await client.get(path, headers=resident)).status_code == 403, path
    quote = await client.post("/v1/quotes", json={"year": 2010, "id_number": NUMBER}, headers=resident)
    assert quote.status_code == 403


async def test_premiums_read_log_is_closed_to_region_limited_tokens(client: httpx.AsyncClient) -> None:
    limited = bearer(Role.civil_affairs, region="210502")
    assert (await client.get(f"/v1/residents/{NUMBER}/reads", headers=limited)).status_code == 403
    assert (
        await client.get(f"/v1/residents/{NUMBER}/reads", headers=bearer(Role.finance))
    ).status_code == 403
