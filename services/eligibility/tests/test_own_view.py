"""DRS-8: every read of a person's record is logged, naming the end user; a resident reads exactly their own
status, certificate and read log — nothing else, and nobody else's."""

import httpx
from eligibility_helpers import CIVIL, certify, id_number, register, status

from huimin_shared.auth import ON_BEHALF_OF_HEADER, Role
from huimin_shared.testing import bearer

OWN = id_number("210502", "19800101", 501)
OTHER = id_number("210502", "19800101", 503)
RESIDENT = bearer(Role.resident, subject=OWN)
SERVICE = bearer(Role.service, subject="service:premium")


async def _two_people(client: httpx.AsyncClient) -> None:
    for number in (OWN, OTHER):
        await register(client, number)
        await certify(client, number, "dibao", "2009-06-01")


async def _reads(client: httpx.AsyncClient, number: str) -> list[tuple[str, str, str]]:
    response = await client.get(f"/v1/residents/{number}/reads", headers=CIVIL)
    return [(r["reader"], r["role"], r["purpose"]) for r in response.json()["reads"]]


async def test_a_resident_reads_their_own_status_and_certificate(client: httpx.AsyncClient) -> None:
    await _two_people(client)
    own = await status(client, OWN, "2010-03-01", headers=RESIDENT)
    assert own.status_code == 200, own.text
    assert own.json()["eligible"] is True
    assert own.json()["certificate"].count(".") == 2
    assert (await _reads(client, OWN))[0] == (OWN, "resident", "status")


async def test_a_resident_cannot_read_another_person(client: httpx.AsyncClient) -> None:
    await _two_people(client)
    assert (await status(client, OTHER, "2010-03-01", headers=RESIDENT)).status_code == 403
    assert (await client.get(f"/v1/residents/{OTHER}/reads", headers=RESIDENT)).status_code == 403
    bulk = await client.post(
        "/v1/status/bulk", json={"on": "2010-03-01", "id_numbers": [OWN, OTHER]}, headers=RESIDENT
    )
    assert [item["id_number"] for item in bulk.json()["items"]] == [OWN]
    assert await _reads(client, OTHER) == []


async def test_a_resident_reads_their_own_read_log_and_nothing_else(client: httpx.AsyncClient) -> None:
    await _two_people(client)
    await client.get(f"/v1/residents/{OWN}", headers=CIVIL)
    log = await client.get(f"/v1/residents/{OWN}/reads", headers=RESIDENT)
    assert log.status_code == 200
    assert [r["reader"] for r in log.json()["reads"]] == ["clerk-1"]
    for method, path in [
        ("GET", f"/v1/residents/{OWN}"),
        ("GET", f"/v1/residents/{OWN}/versions"),
        ("GET", f"/v1/residents/{OWN}/certifications"),
        ("GET", "/v1/residents?name=张三丰"),
        ("GET", "/v1/households/H-0001"),
        ("GET", "/v1/duplicates"),
        ("GET", "/v1/applications"),
        ("GET", "/v1/audit"),
        ("GET", "/v1/roster?year=2010&region=210500"),
        ("GET", "/v1/disclosure?region=210502&community=c&year=2010"),
        ("PUT", f"/v1/residents/{OWN}"),
        ("POST", "/v1/residents"),
    ]:
        response = await client.request(method, path, headers=RESIDENT, json={})
        assert response.status_code == 403, f"{method} {path}: {response.status_code}"


async def test_reads_of_certifications_and_versions_are_logged(client: httpx.AsyncClient) -> None:
    await _two_people(client)
    officer = bearer("community_officer", region="210502", subject="officer-ps")
    await client.get(f"/v1/residents/{OWN}/certifications", headers=officer)
    await client.get(f"/v1/residents/{OWN}/certifications", params={"history": "true"}, headers=officer)
    await client.get(f"/v1/residents/{OWN}/versions", headers=officer)
    assert await _reads(client, OWN) == [
        ("officer-ps", "community_officer", "versions"),
        ("officer-ps", "community_officer", "certification_history"),
        ("officer-ps", "community_officer", "certifications"),
    ]


async def test_a_service_reading_for_a_user_is_logged_as_that_user_within_their_region(
    client: httpx.AsyncClient,
) -> None:
    await _two_people(client)
    officer = bearer("community_officer", region="210502", subject="officer-ps")["Authorization"]
    acting = {**SERVICE, ON_BEHALF_OF_HEADER: officer.removeprefix("Bearer ")}
    assert (await status(client, OWN, "2010-03-01", headers=acting)).status_code == 200
    assert (await _reads(client, OWN))[0] == ("officer-ps", "community_officer via service:premium", "status")
    elsewhere = bearer("community_officer", region="210503", subject="officer-xh")["Authorization"]
    refused = {**SERVICE, ON_BEHALF_OF_HEADER: elsewhere.removeprefix("Bearer ")}
    assert (await status(client, OWN, "2010-03-01", headers=refused)).status_code == 403
    # A plain header naming a user is not a token: refused, nothing logged for it.
    forged = {**SERVICE, ON_BEHALF_OF_HEADER: "officer-ps"}
    assert (await status(client, OWN, "2010-03-01", headers=forged)).status_code == 401
    assert len(await _reads(client, OWN)) == 1
