"""The roster for a cover year (E3, E5) and head counts (E7), as premium and settlement read them."""

import json

from eligibility_helpers import CIVIL, SERVICE, certify, id_number, register

from huimin_shared.testing import bearer


async def _exit(client, lineage: int, valid_to: str) -> None:  # type: ignore[no-untyped-def]
    response = await client.post(
        f"/v1/certifications/{lineage}/exit", json={"valid_to": valid_to, "reason": "退出"}, headers=CIVIL
    )
    assert response.status_code == 200, response.text


async def _population(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Six people in Benxi, each testing one rule for cover year 2010."""
    people = {
        "whole_year": id_number("210502", "19800101", 101),
        "joins_in_june": id_number("210502", "19950601", 103),  # minor on 2010-01-01
        "exits_in_march": id_number("210503", "19450101", 105),  # elderly
        "exited_2009": id_number("210503", "19700101", 107),
        "employee_insured": id_number("210521", "19700101", 109),
        "two_categories": id_number("210521", "19800202", 111),
        "other_city": id_number("510104", "19800101", 113),
    }
    for key, number in people.items():
        region = {
            "exits_in_march": "210503",
            "exited_2009": "210503",
            "employee_insured": "210521",
            "two_categories": "210521",
            "other_city": "510104",
        }.get(key, "210502")
        await register(
            client,
            number,
            region_code=region,
            employee_insurance_since="2005-01-01" if key == "employee_insured" else None,
        )
    await certify(client, people["whole_year"], "dibao", "2008-01-01")
    await certify(client, people["joins_in_june"], "marginal", "2010-06-15")
    march = await certify(client, people["exits_in_march"], "dibao", "2007-05-01")
    await _exit(client, march["lineage"], "2010-03-31")
    old = await certify(client, people["exited_2009"], "dibao", "2007-05-01")
    await _exit(client, old["lineage"], "2009-12-31")
    await certify(client, people["employee_insured"], "dibao", "2008-01-01")
    await certify(client, people["two_categories"], "marginal", "2009-01-01")
    await certify(client, people["two_categories"], "dibao", "2010-02-01")
    await certify(client, people["other_city"], "dibao", "2008-01-01")
    return people


async def test_roster_holds_everyone_certified_on_any_day_of_the_year(client) -> None:
    """E5 (B§四(三)): the March exit stays on the 2010 roster; the 2009 exit does not; E3 drops the
    employee-insured; the June joiner's first eligible day is 2010-06-15; two categories, one row."""
    people = await _population(client)
    response = await client.get("/v1/roster", params={"year": 2010, "region": "210500"}, headers=SERVICE)
    assert response.status_code == 200, response.text
    body = response.json()
    rows = {row["id_number"]: row for row in body["items"]}
    assert set(rows) == {
        people[k] for k in ("whole_year", "joins_in_june", "exits_in_march", "two_categories")
    }
    assert [row["id_number"] for row in body["items"]] == sorted(rows)
    assert body["next_after"] is None
    june = rows[people["joins_in_june"]]
    assert (june["first_eligible_on"], june["certified_at_year_start"]) == ("2010-06-15", False)
    march = rows[people["exits_in_march"]]
    assert march["certified_at_year_start"] is True
    assert march["categories"] == [
        {
            "category": "dibao",
            "valid_from": "2007-05-01",
            "valid_to": "2010-03-31",
            "assistance_psn_type": "1",
        }
    ]
    both = rows[people["two_categories"]]
    assert [c["category"] for c in both["categories"]] == ["marginal", "dibao"]
    assert both["sex"] == "male"
    assert rows[people["whole_year"]]["birth_date"] == "1980-01-01"


async def test_roster_by_district_and_keyset_pages(client) -> None:
    people = await _population(client)
    district = await client.get("/v1/roster", params={"year": 2010, "region": "210503"}, headers=SERVICE)
    assert [r["id_number"] for r in district.json()["items"]] == [people["exits_in_march"]]
    first = (
        await client.get("/v1/roster", params={"year": 2010, "region": "210500", "limit": 3}, headers=SERVICE)
    ).json()
    assert len(first["items"]) == 3
    assert first["next_after"] == first["items"][-1]["id_number"]
    second = (
        await client.get(
            "/v1/roster",
            params={
                "year": 2010,
                "region": "210500",
                "limit": 3,
                "after": first["next_after"],
                "as_of": first["as_of"],
            },
            headers=SERVICE,
        )
    ).json()
    assert len(second["items"]) == 1
    assert second["next_after"] is None


async def test_roster_streams_ndjson_in_id_order(client) -> None:
    people = await _population(client)
    response = await client.get(
        "/v1/roster",
        params={"year": 2010, "region": "210500"},
        headers={**SERVICE, "Accept": "application/x-ndjson"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    rows = [json.loads(line) for line in response.text.splitlines()]
    assert len(rows) == 4
    assert [r["id_number"] for r in rows] == sorted(r["id_number"] for r in rows)
    assert people["exited_2009"] not in {r["id_number"] for r in rows}
    page = (await client.get("/v1/roster", params={"year": 2010, "region": "210500"}, headers=SERVICE)).json()
    assert rows == page["items"]  # the streamed and the paged forms are the same objects


async def test_roster_of_new_entrants_is_the_roster_less_those_certified_at_year_start(client) -> None:
    """B§四(三) new entrants: `first_eligible_after=2010-01-01` keeps exactly the rows of the whole roster
    that are not certified at the start of the year (the June joiner), streamed and paged alike."""
    people = await _population(client)
    params = {"year": 2010, "region": "210500"}
    whole = (await client.get("/v1/roster", params=params, headers=SERVICE)).json()["items"]
    expected = [row for row in whole if not row["certified_at_year_start"]]
    assert [row["id_number"] for row in expected] == [people["joins_in_june"]]
    filtered = {**params, "first_eligible_after": "2010-01-01"}
    page = (await client.get("/v1/roster", params=filtered, headers=SERVICE)).json()
    assert page["items"] == expected
    streamed = await client.get(
        "/v1/roster", params=filtered, headers={**SERVICE, "Accept": "application/x-ndjson"}
    )
    assert [json.loads(line) for line in streamed.text.splitlines()] == expected
    later = {**params, "first_eligible_after": "2010-06-15"}
    assert (await client.get("/v1/roster", params=later, headers=SERVICE)).json()["items"] == []


async def test_roster_selection_is_the_roster_rows_of_the_residents_named(client) -> None:
    """B§四(四) refunds read their paid list: `POST /v1/roster/selection` gives exactly the rows of the whole
    roster for the numbers named (in ID-number order, duplicates once); a named person not on the roster
    (the 2009 exit) or unknown is left out; with `first_eligible_after` both filters apply."""
    people = await _population(client)
    whole = (
        await client.get("/v1/roster", params={"year": 2010, "region": "210500"}, headers=SERVICE)
    ).json()
    named = [
        people["two_categories"],
        people["exited_2009"],
        people["joins_in_june"],
        people["two_categories"],
    ]
    expected = [row for row in whole["items"] if row["id_number"] in named]
    assert len(expected) == 2
    body = {"year": 2010, "region": "210500", "as_of": whole["as_of"], "id_numbers": named}
    selected = await client.post(
        "/v1/roster/selection", json=body, headers={**SERVICE, "Accept": "application/x-ndjson"}
    )
    assert selected.status_code == 200, selected.text
    assert [json.loads(line) for line in selected.text.splitlines()] == expected
    both = await client.post(
        "/v1/roster/selection", json={**body, "first_eligible_after": "2010-01-01"}, headers=SERVICE
    )
    # without Accept: application/x-ndjson, the same rows as one JSON array
    assert both.headers["content-type"].startswith("application/json")
    assert [row["id_number"] for row in both.json()] == [people["joins_in_june"]]
    as_array = await client.post("/v1/roster/selection", json=body, headers=SERVICE)
    assert as_array.json() == expected
    outside = await client.post(
        "/v1/roster/selection", json={**body, "region": "210502"}, headers=bearer("service", region="210503")
    )
    assert outside.status_code == 403


async def test_roster_pinned_to_as_of_returns_the_same_rows_after_a_later_change(client) -> None:
    """A rerun with the same as_of returns the same rows although a back-dated exit was recorded since."""
    people = await _population(client)
    first = (
        await client.get("/v1/roster", params={"year": 2010, "region": "210500"}, headers=SERVICE)
    ).json()
    records = (await client.get(f"/v1/residents/{people['whole_year']}/certifications", headers=CIVIL)).json()
    await _exit(client, records["items"][0]["lineage"], "2009-06-30")
    again = (
        await client.get(
            "/v1/roster", params={"year": 2010, "region": "210500", "as_of": first["as_of"]}, headers=SERVICE
        )
    ).json()
    assert again["items"] == first["items"]
    now = (await client.get("/v1/roster", params={"year": 2010, "region": "210500"}, headers=SERVICE)).json()
    assert people["whole_year"] not in {r["id_number"] for r in now["items"]}


async def test_roster_is_refused_to_community_officers_and_outside_a_tokens_region(client) -> None:
    from huimin_shared.testing import bearer

    officer = bearer("community_officer", region="210502")
    response = await client.get("/v1/roster", params={"year": 2010, "region": "210502"}, headers=officer)
    assert response.status_code == 403
    limited = bearer("service", region="210502")
    response = await client.get("/v1/roster", params={"year": 2010, "region": "210500"}, headers=limited)
    assert response.status_code == 403
    assert response.json()["type"].endswith("out-of-region")


async def test_head_counts_count_each_person_once_by_region_category_and_age_group(client) -> None:
    """E7 / B§三: on 2010-03-15 — whole_year (210502 dibao adult), exits_in_march (210503 dibao elderly, still
    certified), two_categories (210521, counted once under dibao). Not the June joiner, the 2009 exit,
    the employee-insured or the other city."""
    await _population(client)
    response = await client.get(
        "/v1/head-counts", params={"region": "210500", "on": "2010-03-15"}, headers=SERVICE
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["counts"] == [
        {"region_code": "210502", "category": "dibao", "age_group": "adult", "count": 1},
        {"region_code": "210503", "category": "dibao", "age_group": "elderly", "count": 1},
        {"region_code": "210521", "category": "dibao", "age_group": "adult", "count": 1},
    ]
    assert body["total"] == 3
    base = (
        await client.get("/v1/head-counts", params={"region": "210500", "on": "2009-10-31"}, headers=SERVICE)
    ).json()
    # 2009-10-31: whole_year, exits_in_march, exited_2009 (dibao then), two_categories (marginal then).
    assert base["total"] == 4
    assert {"region_code": "210521", "category": "marginal", "age_group": "adult", "count": 1} in base[
        "counts"
    ]
