"""Case workers' search, the household view and the duplicate check: region-limited, masked for roles that
see masked numbers (R2), keyset-paged, each person shown logged in their read log."""

import httpx
from eligibility_helpers import CIVIL, certify, id_number, register

from huimin_shared.idnumber import mask
from huimin_shared.testing import bearer

AUDITOR = bearer("auditor", subject="auditor-1")
PS_OFFICER = bearer("community_officer", region="210502", subject="officer-ps")


async def _household(client: httpx.AsyncClient, household: str = "H-SEARCH") -> dict[str, str]:
    """A 平山区 household of three (a dibao father, an exited mother, a child) and a 溪湖区 namesake."""
    people = {
        "father": id_number("210502", "19700304", 401),
        "mother": id_number("210502", "19720506", 402),
        "child": id_number("210502", "20050101", 403),
        "namesake": id_number("210503", "19700304", 405),
    }
    for role, number in people.items():
        response = await client.post(
            "/v1/residents",
            json={
                "id_number": number,
                "name": "欧阳修远" if role in ("father", "namesake") else f"欧阳{role}",
                "region_code": "210503" if role == "namesake" else "210502",
                "community": "溪湖区河沿社区" if role == "namesake" else "平山区东明社区",
                "household": "H-OTHER" if role == "namesake" else household,
            },
            headers=CIVIL,
        )
        assert response.status_code == 201, response.text
    await certify(client, people["father"], "dibao", "2009-06-01")
    await certify(client, people["mother"], "dibao", "2009-06-01", "2010-02-28")
    return people


async def test_search_by_exact_name_and_prefix_finds_the_same_person(client: httpx.AsyncClient) -> None:
    people = await _household(client)
    exact = await client.get("/v1/residents", params={"name": "欧阳修远"}, headers=CIVIL)
    assert exact.status_code == 200, exact.text
    assert {i["id_number"] for i in exact.json()["items"]} == {people["father"], people["namesake"]}
    prefix = await client.get("/v1/residents", params={"name_prefix": "欧阳"}, headers=CIVIL)
    assert {i["id_number"] for i in prefix.json()["items"]} == set(people.values())
    # LIKE wildcards in the prefix are text, not patterns.
    wildcard = await client.get("/v1/residents", params={"name_prefix": "%"}, headers=CIVIL)
    assert wildcard.json()["items"] == []


async def test_search_by_community_household_and_category_on_a_date(client: httpx.AsyncClient) -> None:
    people = await _household(client)
    by_household = await client.get("/v1/residents", params={"household": "H-SEARCH"}, headers=CIVIL)
    assert {i["id_number"] for i in by_household.json()["items"]} == {
        people["father"],
        people["mother"],
        people["child"],
    }
    dibao_in_march = await client.get(
        "/v1/residents",
        params={"category": "dibao", "community": "平山区东明社区", "on": "2010-03-01"},
        headers=CIVIL,
    )
    assert [i["id_number"] for i in dibao_in_march.json()["items"]] == [people["father"]]
    dibao_in_january = await client.get(
        "/v1/residents",
        params={"category": "dibao", "community": "平山区东明社区", "on": "2010-01-15"},
        headers=CIVIL,
    )
    items = dibao_in_january.json()["items"]
    assert {i["id_number"] for i in items} == {people["father"], people["mother"]}
    assert all(i["categories_on_date"] == ["dibao"] for i in items)


async def test_search_is_limited_to_the_tokens_region(client: httpx.AsyncClient) -> None:
    people = await _household(client)
    found = await client.get("/v1/residents", params={"name": "欧阳修远"}, headers=PS_OFFICER)
    assert [i["id_number"] for i in found.json()["items"]] == [people["father"]]
    xh_officer = bearer("community_officer", region="210503", subject="officer-xh")
    found = await client.get("/v1/residents", params={"household": "H-SEARCH"}, headers=xh_officer)
    assert found.json()["items"] == []


async def test_r2_an_auditor_sees_masked_numbers(client: httpx.AsyncClient) -> None:
    people = await _household(client)
    found = await client.get("/v1/residents", params={"household": "H-SEARCH"}, headers=AUDITOR)
    assert found.status_code == 200
    assert {i["id_number"] for i in found.json()["items"]} == {
        mask(people[r]) for r in ("father", "mother", "child")
    }


async def test_search_pages_by_keyset_without_repeats(client: httpx.AsyncClient) -> None:
    people = await _household(client)
    seen: list[str] = []
    after = None
    while True:
        params: dict[str, str | int] = {"name_prefix": "欧阳", "limit": 1}
        if after is not None:
            params["after"] = after
        page = (await client.get("/v1/residents", params=params, headers=CIVIL)).json()
        seen.extend(i["id_number"] for i in page["items"])
        after = page["next_after"]
        if after is None:
            break
    assert sorted(seen) == sorted(people.values())


async def test_search_needs_a_criterion_and_the_right_role(client: httpx.AsyncClient) -> None:
    nothing = await client.get("/v1/residents", headers=CIVIL)
    assert nothing.status_code == 422
    assert nothing.json()["errors"][0]["field"] == "query"
    for role in ("finance", "social_insurance", "service"):
        refused = await client.get("/v1/residents", params={"name": "x"}, headers=bearer(role))
        assert refused.status_code == 403, role
    assert (await client.get("/v1/residents", params={"name": "x"})).status_code == 401


async def test_each_person_found_is_in_their_read_log(client: httpx.AsyncClient) -> None:
    people = await _household(client)
    await client.get("/v1/residents", params={"household": "H-SEARCH"}, headers=PS_OFFICER)
    reads = (await client.get(f"/v1/residents/{people['child']}/reads", headers=CIVIL)).json()["reads"]
    assert [(r["reader"], r["purpose"]) for r in reads] == [("officer-ps", "search")]


async def test_household_lists_members_with_their_status_on_a_date(client: httpx.AsyncClient) -> None:
    """E5: the mother left dibao in February 2010 and keeps the cover to the end of 2010."""
    people = await _household(client)
    response = await client.get("/v1/households/H-SEARCH", params={"on": "2010-06-01"}, headers=PS_OFFICER)
    assert response.status_code == 200, response.text
    members = {m["id_number"]: m for m in response.json()["members"]}
    assert list(members) == [people["father"], people["mother"], people["child"]]  # oldest first
    assert (members[people["father"]]["eligible"], members[people["father"]]["categories"]) == (
        True,
        ["dibao"],
    )
    assert (members[people["mother"]]["eligible"], members[people["mother"]]["categories_on_date"]) == (
        True,
        [],
    )
    assert members[people["child"]]["eligible"] is False
    assert members[people["child"]]["excluded_reason"] == "not_certified"
    assert members[people["child"]]["age_group"] == "minor"
    next_year = await client.get("/v1/households/H-SEARCH", params={"on": "2011-01-01"}, headers=CIVIL)
    assert {m["id_number"]: m["eligible"] for m in next_year.json()["members"]}[people["mother"]] is False
    reads = (await client.get(f"/v1/residents/{people['mother']}/reads", headers=CIVIL)).json()["reads"]
    assert reads[0]["purpose"] == "household"


async def test_household_outside_the_tokens_region_is_404(client: httpx.AsyncClient) -> None:
    await _household(client)
    xh_officer = bearer("community_officer", region="210503", subject="officer-xh")
    assert (await client.get("/v1/households/H-SEARCH", headers=xh_officer)).status_code == 404
    assert (await client.get("/v1/households/H-SEARCH", headers=bearer("finance"))).status_code == 403


async def test_duplicates_flag_one_name_and_birth_date_under_two_numbers(client: httpx.AsyncClient) -> None:
    people = await _household(client)
    response = await client.get("/v1/duplicates", headers=CIVIL)
    assert response.status_code == 200, response.text
    groups = [g for g in response.json()["items"] if g["kind"] == "same_name_and_birth_date"]
    assert [(g["key"], sorted(m["id_number"] for m in g["members"])) for g in groups] == [
        ("欧阳修远 1970-03-04", sorted([people["father"], people["namesake"]]))
    ]
    # A 平山区 officer sees only its own residents: no pair left.
    limited = await client.get("/v1/duplicates", headers=PS_OFFICER)
    assert [g for g in limited.json()["items"] if g["kind"] == "same_name_and_birth_date"] == []
    assert (await client.get("/v1/duplicates", headers=AUDITOR)).status_code == 403


async def test_duplicates_flag_numbers_that_agree_in_the_15_digit_form(client: httpx.AsyncClient) -> None:
    """1905 and 2005: the same area code, YYMMDD and sequence — what a 15-digit number converted with the
    wrong century looks like."""
    old = id_number("210502", "19050101", 407)
    young = id_number("210502", "20050101", 407)
    await register(client, old, name="甲")
    await register(client, young, name="乙")
    groups = (await client.get("/v1/duplicates", headers=CIVIL)).json()["items"]
    forms = [g for g in groups if g["kind"] == "same_15_digit_form"]
    assert [sorted(m["id_number"] for m in g["members"]) for g in forms] == [sorted([old, young])]


async def test_the_same_person_typed_as_15_and_as_18_digits_is_refused_the_second_time(
    client: httpx.AsyncClient,
) -> None:
    eighteen = id_number("210502", "19700101", 409)
    fifteen = eighteen[:6] + eighteen[8:17]
    await register(client, eighteen)
    again = await client.post(
        "/v1/residents",
        json={
            "id_number": fifteen,
            "name": "张三丰",
            "region_code": "210502",
            "community": "c",
            "household": "h",
        },
        headers=CIVIL,
    )
    assert again.status_code == 409
