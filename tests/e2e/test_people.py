"""DRS-8 across the services as real processes: a community officer's quote reaches eligibility as the
officer (their own token, verified there), every read lands in the person's read logs, and a resident
reads their own status, assessments, payments and read logs — and nobody else's."""

import httpx

from huimin_shared.auth import ON_BEHALF_OF_HEADER, Role
from huimin_shared.idnumber import check_character
from huimin_shared.testing import bearer

from .suite import Suite


def _number(area: str, born: str, sequence: int) -> str:
    first_17 = f"{area}{born}{sequence:03d}"
    return first_17 + check_character(first_17)


# Registered only, never certified: they stay out of every roster and head count the year tests play.
OWN = _number("210502", "19610203", 901)
OTHER = _number("210502", "19610203", 903)
CIVIL = bearer(Role.civil_affairs, subject="clerk-e2e")
AUDITOR = bearer(Role.auditor, subject="auditor-e2e")


def _register(suite: Suite, number: str) -> None:
    response = httpx.post(
        suite.url("eligibility") + "/v1/residents",
        json={
            "id_number": number,
            "name": "赵一",
            "region_code": "210502",
            "community": "东明社区",
            "household": "E2E-1",
        },
        headers=CIVIL,
    )
    assert response.status_code in (201, 409), response.text


def _reads(suite: Suite, service: str, number: str) -> list[tuple[str, str, str]]:
    response = httpx.get(f"{suite.url(service)}/v1/residents/{number}/reads", headers=AUDITOR)
    assert response.status_code == 200, response.text
    return [(r["reader"], r["role"], r["purpose"]) for r in response.json()["reads"]]


def test_a_community_officers_quote_reaches_eligibility_as_the_officer(suite: Suite) -> None:
    _register(suite, OWN)
    officer = bearer(Role.community_officer, region="210502", subject="officer-e2e")
    quote = httpx.post(
        suite.url("premium") + "/v1/quotes", json={"year": 2010, "id_number": OWN}, headers=officer
    )
    assert quote.status_code == 200, quote.text
    assert ("officer-e2e", "community_officer via service:premium", "status") in _reads(
        suite, "eligibility", OWN
    )
    assert ("officer-e2e", "community_officer", "quote") in _reads(suite, "premium", OWN)
    # The officer of another district gets premium's usual 404; eligibility refused the read as theirs.
    elsewhere = bearer(Role.community_officer, region="210503", subject="officer-xh-e2e")
    refused = httpx.post(
        suite.url("premium") + "/v1/quotes", json={"year": 2010, "id_number": OWN}, headers=elsewhere
    )
    assert refused.status_code == 404
    assert all(reader != "officer-xh-e2e" for reader, _, _ in _reads(suite, "eligibility", OWN))


def test_nobody_but_a_service_carrying_a_verified_user_token_is_logged_as_someone_else(suite: Suite) -> None:
    _register(suite, OWN)
    service = bearer(Role.service, subject="service:premium")
    for on_behalf_of in ("officer-e2e", "Bearer nonsense"):
        response = httpx.get(
            f"{suite.url('eligibility')}/v1/residents/{OWN}/status",
            params={"on": "2010-03-01"},
            headers={**service, ON_BEHALF_OF_HEADER: on_behalf_of},
        )
        assert response.status_code == 401


def test_a_resident_reads_their_own_records_in_every_service_and_nobody_elses(suite: Suite) -> None:
    _register(suite, OWN)
    _register(suite, OTHER)
    resident = bearer(Role.resident, subject=OWN)
    own_paths = {
        "eligibility": [f"/v1/residents/{OWN}/status?on=2010-03-01", f"/v1/residents/{OWN}/reads"],
        "premium": [f"/v1/residents/{OWN}/assessments", f"/v1/residents/{OWN}/reads"],
        "settlement": [f"/v1/traces/{OWN}", f"/v1/residents/{OWN}/reads"],
    }
    for service, paths in own_paths.items():
        for path in paths:
            assert httpx.get(suite.url(service) + path, headers=resident).status_code == 200, (
                f"{service} {path}"
            )
            other = path.replace(OWN, OTHER)
            assert httpx.get(suite.url(service) + other, headers=resident).status_code == 403, (
                f"{service} {other}"
            )
    assert (OWN, "resident", "status") in _reads(suite, "eligibility", OWN)
    assert (OWN, "resident", "status") not in _reads(suite, "eligibility", OTHER)
    # Nothing else: the register, search, batches and quotes are closed to a resident.
    for service, path in [
        ("eligibility", f"/v1/residents/{OWN}"),
        ("eligibility", "/v1/residents?name=赵一"),
        ("premium", "/v1/assessments"),
        ("settlement", "/v1/batches"),
    ]:
        assert httpx.get(suite.url(service) + path, headers=resident).status_code == 403, f"{service} {path}"
    quote = httpx.post(
        suite.url("premium") + "/v1/quotes", json={"year": 2010, "id_number": OWN}, headers=resident
    )
    assert quote.status_code == 403
