"""Status on a date as known at a time (E1, E3, E5, bitemporal history, signed certificate)."""

import jwt
from eligibility_helpers import CIVIL, SERVICE, certify, id_number, register, status
from sqlalchemy import text

from huimin_shared.testing import bearer


async def test_registering_derives_birth_date_and_sex_from_the_id_number(client) -> None:
    """E1: 210502198001011234 → born 1980-01-01, sequence 123 is odd → male."""
    body = await register(client, "210502198001011234")
    assert body["birth_date"] == "1980-01-01"
    assert body["sex"] == "male"


async def test_an_invalid_id_number_is_refused_with_the_field_and_reason(client) -> None:
    """E1: a wrong check character is a 422 naming body.id_number, and nothing is written."""
    response = await client.post(
        "/v1/residents",
        json={
            "id_number": "210502198001011235",
            "name": "李四",
            "region_code": "210502",
            "community": "c",
            "household": "h",
        },
        headers=CIVIL,
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["errors"][0]["field"] == "body.id_number"
    assert "check character" in problem["errors"][0]["reason"]
    assert (await client.get("/v1/residents/210502198001011235", headers=CIVIL)).status_code == 422


async def test_dibao_resident_is_eligible_with_platform_codes_and_a_verifiable_certificate(client) -> None:
    """E3: a dibao person in Benxi without employee insurance is subsidised; psn_type 15 for an adult."""
    number = id_number()
    await register(client, number)
    await certify(client, number, "dibao", "2009-06-01")
    response = await status(client, number, "2010-03-01")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["eligible"] is True
    assert body["categories"] == ["dibao"]
    assert body["age_group"] == "adult"
    assert (body["insutype"], body["psn_type"]) == ("391", "15")
    assert body["excluded_reason"] is None
    assert body["region_code"] == "210502"
    jwks = (await client.get("/.well-known/jwks.json")).json()
    key = jwt.PyJWK(jwks["keys"][0])
    claims = jwt.decode(body["certificate"], key.key, algorithms=["EdDSA"])
    assert claims["eligible"] is True
    assert claims["id_number"] == number
    assert claims["on"] == "2010-03-01"


async def test_status_before_the_certification_begins_is_not_certified(client) -> None:
    number = id_number()
    await register(client, number)
    await certify(client, number, "dibao", "2010-05-01")
    body = (await status(client, number, "2010-04-30")).json()
    assert body["eligible"] is False
    assert body["excluded_reason"] == "not_certified"
    assert (await status(client, number, "2010-05-01")).json()["eligible"] is True


async def test_employee_insurance_excludes_a_dibao_resident(client) -> None:
    """E3 (B§一(一)): covered by employee insurance since 2008 → not subsidised, reason given."""
    number = id_number()
    await register(client, number, employee_insurance_since="2008-01-01")
    await certify(client, number, "dibao", "2009-06-01")
    body = (await status(client, number, "2010-03-01")).json()
    assert body["eligible"] is False
    assert body["employee_insurance"] is True
    assert body["excluded_reason"] == "employee_insurance"


async def test_national_only_categories_are_not_subsidised_in_benxi(client) -> None:
    """E3 vs E4: severely_disabled is a national category; Benxi subsidises dibao and marginal only."""
    number = id_number()
    await register(client, number)
    await certify(client, number, "severely_disabled", "2009-06-01")
    body = (await status(client, number, "2010-03-01")).json()
    assert body["eligible"] is False
    assert body["excluded_reason"] == "category_outside_scope"
    assert body["categories_on_date"] == ["severely_disabled"]


async def test_exit_keeps_the_cover_until_the_year_ends(client) -> None:
    """E5 (B§四(三)): exited on 2010-04-30, still eligible on 2010-12-31, not on 2011-01-01."""
    number = id_number()
    await register(client, number)
    cert = await certify(client, number, "marginal", "2009-06-01")
    exited = await client.post(
        f"/v1/certifications/{cert['lineage']}/exit",
        json={"valid_to": "2010-04-30", "reason": "收入超标"},
        headers=CIVIL,
    )
    assert exited.status_code == 200, exited.text
    december = (await status(client, number, "2010-12-31")).json()
    assert december["eligible"] is True
    assert december["categories"] == ["marginal"]
    assert december["categories_on_date"] == []
    assert (await status(client, number, "2011-01-01")).json()["eligible"] is False


async def test_back_dated_exit_changes_past_dates_as_known_now_but_not_as_known_before(client) -> None:
    """E2 bitemporal: an exit recorded today with valid_to 2010-12-31 changes the answer for 2011-03-01
    as known now, while the answer as known before the exit was recorded stays eligible."""
    number = id_number()
    await register(client, number)
    cert = await certify(client, number, "dibao", "2009-06-01")
    before_exit = cert["recorded_at"]
    assert (await status(client, number, "2011-03-01")).json()["eligible"] is True
    exited = await client.post(
        f"/v1/certifications/{cert['lineage']}/exit",
        json={"valid_to": "2010-12-31", "reason": "迁出"},
        headers=CIVIL,
    )
    assert exited.status_code == 200
    now_answer = (await status(client, number, "2011-03-01")).json()
    assert now_answer["eligible"] is False
    then_answer = (await status(client, number, "2011-03-01", as_of=before_exit)).json()
    assert then_answer["eligible"] is True
    assert then_answer["as_of"].startswith(before_exit[:19])
    history = (
        await client.get(f"/v1/residents/{number}/certifications", params={"history": "true"}, headers=CIVIL)
    ).json()["items"]
    assert [(h["change"], h["superseded_at"] is None) for h in history] == [
        ("certified", False),
        ("exited", True),
    ]


async def test_a_person_in_two_categories_at_once_lists_both(client) -> None:
    """A dibao and marginal person at once: both categories, dibao first (precedence), one status."""
    number = id_number()
    await register(client, number)
    await certify(client, number, "marginal", "2009-01-01")
    await certify(client, number, "dibao", "2010-02-01")
    body = (await status(client, number, "2010-03-01")).json()
    assert body["categories"] == ["dibao", "marginal"]


async def test_overlapping_certifications_of_one_category_are_refused(client) -> None:
    """Overlaps of one category are refused with 409 (never merged, never counted twice)."""
    number = id_number()
    await register(client, number)
    await certify(client, number, "dibao", "2009-01-01", "2009-12-31")
    await certify(client, number, "dibao", "2009-12-01", expect=409)
    await certify(client, number, "dibao", "2010-01-01")  # adjoining, not overlapping
    records = (await client.get(f"/v1/residents/{number}/certifications", headers=CIVIL)).json()["items"]
    assert len(records) == 2


async def test_certification_before_birth_is_refused(client) -> None:
    number = id_number(born="20050301")
    await register(client, number)
    await certify(client, number, "dibao", "2005-02-28", expect=422)


async def test_status_as_of_a_time_before_registration_is_not_found(client) -> None:
    """A date before registration: as known before the resident was recorded, they are unknown (404)."""
    number = id_number()
    await register(client, number)
    await certify(client, number, "dibao", "2009-06-01")
    response = await status(client, number, "2010-03-01", as_of="2009-01-01T00:00:00+08:00")
    assert response.status_code == 404
    assert "not yet registered" in response.json()["detail"]


async def test_unknown_resident_is_404_problem(client) -> None:
    response = await status(client, id_number(sequence=999), "2010-03-01")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_out_of_region_officer_is_refused(client) -> None:
    """A community officer for 210503 may not read or certify a 210502 resident (403 out-of-region)."""
    number = id_number()
    await register(client, number)
    officer = bearer("community_officer", region="210503", subject="officer-xh")
    response = await status(client, number, "2010-03-01", headers=officer)
    assert response.status_code == 403
    assert response.json()["type"].endswith("out-of-region")
    same_region = bearer("community_officer", region="210502", subject="officer-ps")
    assert (await status(client, number, "2010-03-01", headers=same_region)).status_code == 200
    registering = await client.post(
        "/v1/residents",
        json={
            "id_number": id_number(sequence=125),
            "name": "王五",
            "region_code": "210502",
            "community": "c",
            "household": "h",
        },
        headers=officer,
    )
    assert registering.status_code == 403


async def test_roles_are_checked(client) -> None:
    number = id_number()
    await register(client, number)
    assert (await status(client, number, "2010-03-01", headers=bearer("finance"))).status_code == 403
    assert (
        await client.get(f"/v1/residents/{number}/status", params={"on": "2010-03-01"})
    ).status_code == 401
    officer = bearer("community_officer", region="210502")
    response = await client.post(
        f"/v1/residents/{number}/certifications",
        json={"category": "dibao", "valid_from": "2010-01-01", "authority": "a", "evidence_ref": "e"},
        headers=officer,
    )
    assert response.status_code == 403


async def test_bulk_status_answers_many_and_logs_each_read(client) -> None:
    """Bulk look-up: one answer per known number, unknown ones listed; each read is in the person's read log."""
    known = [id_number(sequence=s) for s in (101, 103, 105)]
    for number in known:
        await register(client, number)
        await certify(client, number, "dibao", "2009-06-01")
    unknown = id_number(sequence=107)
    response = await client.post(
        "/v1/status/bulk", json={"on": "2010-03-01", "id_numbers": [*known, unknown]}, headers=SERVICE
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert [item["id_number"] for item in body["items"]] == known
    assert body["not_found"] == [unknown]
    reads = (await client.get(f"/v1/residents/{known[1]}/reads", headers=CIVIL)).json()["reads"]
    assert [(r["reader"], r["role"], r["purpose"]) for r in reads] == [
        ("service:premium", "service", "status_bulk")
    ]


async def test_bulk_status_refuses_more_than_1000(client) -> None:
    response = await client.post(
        "/v1/status/bulk", json={"on": "2010-03-01", "id_numbers": [id_number()] * 1001}, headers=SERVICE
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.id_numbers"


async def test_minor_and_elderly_age_groups_on_1_january(client) -> None:
    """Age group on 1 January of the year: born 1992-01-02 is 17 → minor (psn_type 14); born 1950-01-01 is 60
    → elderly (16)."""
    minor, elderly = id_number(born="19920102"), id_number(born="19500101")
    for number in (minor, elderly):
        await register(client, number)
        await certify(client, number, "dibao", "2009-06-01")
    m = (await status(client, minor, "2010-06-01")).json()
    e = (await status(client, elderly, "2010-06-01")).json()
    assert (m["age_group"], m["psn_type"]) == ("minor", "14")
    assert (e["age_group"], e["psn_type"]) == ("elderly", "16")


async def test_the_status_look_up_keeps_one_generic_plan(session) -> None:
    """Issue 13 (one look-up, planned once): eligibility_status_lookup runs with plan_cache_mode =
    force_generic_plan (migration 0008_status_plan) — without it PostgreSQL plans its read, read-log insert
    and certifications' aggregate again on every call, the larger part of a look-up's database time."""
    config = (
        await session.execute(
            text(
                "SELECT proconfig FROM pg_proc WHERE oid ="
                " 'eligibility_status_lookup(text[], timestamptz, text, text, text, text)'::regprocedure"
            )
        )
    ).scalar_one()
    assert "plan_cache_mode=force_generic_plan" in (config or [])
