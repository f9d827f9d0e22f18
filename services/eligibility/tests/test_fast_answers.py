"""The roster and head counts computed in PostgreSQL (rules_sql.py) give exactly the answers of the pure
reference rules (rules.py) — E3 employee-insurance exclusion, E4 national scope, E5 year-keeping, the
bitemporal as_of, age group on 1 January, one count per person (dibao first) — on thousands of synthetic
residents plus hand-made edge cases; and the monthly report, which judges only the people a month can have
changed (rules_sql.MONTH_MOVERS), equals rules.monthly_change applied to everyone (E6)."""

from __future__ import annotations

import io
import json
import uuid
from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any

import httpx
from eligibility_helpers import CIVIL, SERVICE, certify, id_number, register
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_eligibility import divisions, rules
from huimin_eligibility.common import now
from huimin_eligibility.imports.parsing import synthetic_csv_lines
from huimin_eligibility.imports.service import apply_staged, new_job, stage_file
from huimin_eligibility.imports.validation import Door
from huimin_eligibility.reports import service
from huimin_eligibility.reports.repository import recorded_between
from huimin_eligibility.roster.repository import candidates, monthly_candidates
from huimin_policy import codes
from huimin_shared.synthetic import synthetic_residents

NDJSON = {**SERVICE, "Accept": "application/x-ndjson"}


async def _import(session: AsyncSession, residents: list[Any]) -> None:
    content = "".join(synthetic_csv_lines(residents)).encode()
    job_id = uuid.uuid4()
    job = new_job(job_id, "fast.csv", "csv", "-", "partial", "test", now())
    await stage_file(
        session, job, io.BytesIO(content), Door(("210500", "510100"), divisions.today_in_china())
    )
    finished = await apply_staged(session, job_id, chunk_rows=2000, commit_chunks=False)
    assert finished is not None
    assert finished.rejected == 0


async def _exit(client: httpx.AsyncClient, number: str, valid_to: str) -> None:
    records = (await client.get(f"/v1/residents/{number}/certifications", headers=CIVIL)).json()["items"]
    current = [r for r in records if r["valid_to"] is None or r["valid_to"] > valid_to]
    response = await client.post(
        f"/v1/certifications/{current[0]['lineage']}/exit",
        json={"valid_to": valid_to, "reason": "补录退出"},
        headers=CIVIL,
    )
    assert response.status_code == 200, response.text


async def _population(session: AsyncSession, client: httpx.AsyncClient) -> tuple[list[Any], datetime]:
    """3,000 Benxi residents (joiners, exits in the year, employee insurance from any day of the last ten
    years, two categories, age-group edges) and 400 in Chengdu (national scope, where marginal is out);
    then, after ``before``, back-dated exits and employee insurance recorded later."""
    benxi = list(synthetic_residents(3000, year=2010, seed=31))
    taken = {r.id_number for r in benxi}
    chengdu = [
        r
        for r in synthetic_residents(400, year=2010, seed=32, regions=("510104", "510105"))
        if r.id_number not in taken
    ]
    await _import(session, benxi + chengdu)
    # National categories: in scope in Chengdu (E4), out of scope in Benxi (E3).
    for sequence, (area, category) in enumerate(
        [("510104", "severely_disabled"), ("510104", "low_income_elderly"), ("210502", "severely_disabled")]
        * 3
    ):
        number = id_number(area, "19480101", 201 + 2 * sequence)
        await register(client, number, region_code=area)
        await certify(client, number, category, "2009-03-01")
        if sequence % 3 == 0:
            await certify(client, number, "dibao", "2010-05-01")
    await _edge_cases(client)
    before = now()
    open_ended = [
        r
        for r in benxi
        if len(r.certifications) == 1
        and r.certifications[0].valid_to is None
        and r.certifications[0].valid_from < date(2009, 12, 1)
    ]
    for resident in open_ended[:10]:  # exits recorded now, back-dated into 2009 and into 2010
        await _exit(client, resident.id_number, "2009-12-31")
    for resident in open_ended[10:20]:
        await _exit(client, resident.id_number, "2010-02-14")
    for resident in open_ended[20:30]:  # employee insurance from mid-2010, learnt after ``before``
        response = await client.put(
            f"/v1/residents/{resident.id_number}",
            json={
                "name": resident.name,
                "region_code": resident.region_code,
                "community": resident.community,
                "household": resident.household,
                "employee_insurance_since": "2010-07-01",
                "reason": "职工医保",
            },
            headers=CIVIL,
        )
        assert response.status_code == 200, response.text
    return benxi + chengdu, before


EDGE_INSURED_THEN_DIBAO = id_number("210502", "19800101", 901)
EDGE_LEFT_IN_JULY = id_number("210503", "19800101", 903)
EDGE_TURNS_18 = id_number("210504", "19920101", 905)


async def _edge_cases(client: httpx.AsyncClient) -> None:
    """Hand-made edge cases of the review: a certification begun after employee insurance (E3), an exit
    before the funding-base day (B§三), an age group that changes between 2009 and 2010."""
    # 1.1 (E3): marginal 2010-01-01..02-28, employee insurance from 2010-03-01, dibao from 2010-06-01 —
    # the dibao certification never has a subsidised day.
    await register(client, EDGE_INSURED_THEN_DIBAO, employee_insurance_since="2010-03-01")
    await certify(client, EDGE_INSURED_THEN_DIBAO, "marginal", "2010-01-01", "2010-02-28")
    await certify(client, EDGE_INSURED_THEN_DIBAO, "dibao", "2010-06-01")
    # 1.2 (B§三): left dibao in July 2009 — not counted on 2009-10-31.
    await register(client, EDGE_LEFT_IN_JULY, region_code="210503")
    await certify(client, EDGE_LEFT_IN_JULY, "dibao", "2008-03-01", "2009-07-15")
    # cover_year: 17 on 2009-01-01 (minor), 18 on 2010-01-01 (adult).
    await register(client, EDGE_TURNS_18, region_code="210504")
    await certify(client, EDGE_TURNS_18, "dibao", "2009-01-01")


async def _reference_roster(session: AsyncSession, region: str, year: int, as_of: datetime) -> list[dict]:
    rows = []
    async for candidate in candidates(
        session, region=region, first=rules.year_start(year), last=rules.year_end(year), as_of=as_of
    ):
        verdict = rules.eligibility_for_year(
            candidate.periods, candidate.employee_insurance_since, candidate.region_code, year
        )
        if verdict.eligible and verdict.first_eligible_on is not None:
            rows.append(
                {
                    "id_number": candidate.id_number,
                    "birth_date": candidate.birth_date.isoformat(),
                    "sex": candidate.sex,
                    "region_code": candidate.region_code,
                    "categories": [
                        {
                            "category": p.category.value,
                            "valid_from": p.start.isoformat(),
                            "valid_to": p.end.isoformat() if p.end else None,
                            "assistance_psn_type": codes.assistance_psn_type(p.category.value),
                        }
                        for p in verdict.categories
                    ],
                    "first_eligible_on": verdict.first_eligible_on.isoformat(),
                    "certified_at_year_start": verdict.certified_at_year_start,
                    "insutype": codes.INSUTYPE,
                    "psn_type": rules.psn_type(rules.age_group(candidate.birth_date, year)),
                }
            )
    return rows


async def _reference_counts(
    session: AsyncSession, region: str, on: date, as_of: datetime, cover_year: int | None = None
) -> list[dict]:
    counter: Counter[tuple[str, str, str]] = Counter()
    async for candidate in candidates(session, region=region, first=on, last=on, as_of=as_of):
        entry = rules.head_count_entry(
            candidate.periods,
            candidate.employee_insurance_since,
            candidate.region_code,
            candidate.birth_date,
            on,
            cover_year,
        )
        if entry is not None:
            category, group = entry
            counter[(candidate.region_code, category.value, group.value)] += 1
    return [
        {"region_code": r, "category": c, "age_group": a, "count": n}
        for (r, c, a), n in sorted(counter.items())
    ]


async def test_fast_roster_equals_the_reference_rules(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    """E3, E4, E5 (B§一(一), N§一, B§四(三)): streamed and paged rosters equal rules.eligibility_for_year's,
    for every region and year asked, as known now and as known before the back-dated changes."""
    people, before = await _population(session, client)
    later = now()
    checked = 0
    for region, year, as_of in [
        ("210500", 2010, later),
        ("210500", 2010, before),
        ("210500", 2009, later),
        ("210500", 2011, later),
        ("210502", 2010, later),
        ("210521", 2010, before),
        ("510100", 2010, later),
        ("510104", 2009, before),
    ]:
        expected = await _reference_roster(session, region, year, as_of)
        params = {"year": year, "region": region, "as_of": as_of.isoformat()}
        streamed = await client.get("/v1/roster", params=params, headers=NDJSON)
        assert streamed.status_code == 200, streamed.text
        assert streamed.text.endswith("\n") or not expected
        assert [json.loads(line) for line in streamed.text.splitlines()] == expected, (region, year, as_of)
        paged: list[dict] = []
        after = ""
        while True:
            page = (
                await client.get(
                    "/v1/roster", params={**params, "after": after, "limit": 700}, headers=SERVICE
                )
            ).json()
            paged.extend(page["items"])
            if page["next_after"] is None:
                break
            assert page["next_after"] == page["items"][-1]["id_number"]
            after = page["next_after"]
        assert paged == expected, (region, year, as_of)
        checked += len(expected)
    assert checked > 10_000
    # The edge cases are there: exits in the year, mid-year joiners and employee insurance, two categories.
    now_2010 = await _reference_roster(session, "210500", 2010, later)
    assert any(not row["certified_at_year_start"] for row in now_2010)
    assert any(len(row["categories"]) == 2 for row in now_2010)
    assert any(row["categories"][0]["valid_to"] for row in now_2010)
    assert len(now_2010) < len(await _reference_roster(session, "210500", 2010, before))
    assert any(r.employee_insurance_since and r.employee_insurance_since.year == 2010 for r in people)


async def test_fast_head_counts_equal_the_reference_rules(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    """E7 (B§三) and E3/E4: head counts on a date equal rules.head_count_entry counted in Python — people
    certified and not excluded on that very day (no E5 year-keeping), age group of 1 January of cover_year —
    on the funding-base day, 1 January, mid-year and 31 December, as known now and before."""
    _, before = await _population(session, client)
    later = now()
    for region, on, as_of, cover_year in [
        ("210500", date(2009, 10, 31), later, None),
        ("210500", date(2009, 10, 31), later, 2010),
        ("210500", date(2010, 1, 1), later, None),
        ("210500", date(2010, 3, 15), before, None),
        ("210500", date(2010, 3, 15), later, None),
        ("210500", date(2010, 8, 1), later, None),
        ("210500", date(2010, 12, 31), later, None),
        ("210503", date(2010, 7, 1), later, None),
        ("510100", date(2010, 6, 1), later, None),
        ("510104", date(2010, 12, 31), before, None),
    ]:
        expected = await _reference_counts(session, region, on, as_of, cover_year)
        params = {"region": region, "on": on.isoformat(), "as_of": as_of.isoformat()}
        if cover_year is not None:
            params["cover_year"] = str(cover_year)
        response = await client.get("/v1/head-counts", params=params, headers=SERVICE)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["counts"] == expected, (region, on, as_of, cover_year)
        assert body["total"] == sum(cell["count"] for cell in expected)
        assert body["total"] > 0


async def test_review_edge_cases_by_hand(session: AsyncSession, client: httpx.AsyncClient) -> None:
    """E3 (B§一(一)), B§三/E7, E5: the reviewer's cases worked by hand, on the fast paths and the reference.

    - marginal 2010-01-01..02-28, employee insurance from 2010-03-01, dibao from 2010-06-01: on 2010-08-01
      the cover rests on marginal only (dibao never had a subsidised day); the roster of 2010 lists marginal
      only; the head count on 2010-08-01 does not count the person (insured that day), on 2010-02-01 it
      counts them as marginal.
    - dibao 2008-03-01..2009-07-15: not in the head count on 2009-10-31 (B§三 counts that very day).
    - born 1992-01-01, dibao from 2009: counted on 2009-10-31 as a minor, with cover_year=2010 as an adult.
    """
    await _edge_cases(client)
    status = (
        await client.get(
            f"/v1/residents/{EDGE_INSURED_THEN_DIBAO}/status", params={"on": "2010-08-01"}, headers=SERVICE
        )
    ).json()
    assert (status["eligible"], status["categories"]) == (True, ["marginal"])
    page = (
        await client.get(
            "/v1/roster",
            params={"year": 2010, "region": "210502", "after": EDGE_INSURED_THEN_DIBAO[:17]},
            headers=SERVICE,
        )
    ).json()
    row = next(r for r in page["items"] if r["id_number"] == EDGE_INSURED_THEN_DIBAO)
    assert row["categories"] == [
        {
            "category": "marginal",
            "valid_from": "2010-01-01",
            "valid_to": "2010-02-28",
            "assistance_psn_type": None,
        }
    ]
    assert (row["first_eligible_on"], row["certified_at_year_start"]) == ("2010-01-01", True)

    async def counts(region: str, on: str, **extra: str) -> list[dict]:
        response = await client.get(
            "/v1/head-counts", params={"region": region, "on": on, **extra}, headers=SERVICE
        )
        assert response.status_code == 200, response.text
        return response.json()["counts"]

    assert await counts("210502", "2010-08-01") == []
    assert await counts("210502", "2010-02-01") == [
        {"region_code": "210502", "category": "marginal", "age_group": "adult", "count": 1}
    ]
    assert await counts("210503", "2009-10-31") == []
    assert await counts("210503", "2009-07-15") == [
        {"region_code": "210503", "category": "dibao", "age_group": "adult", "count": 1}
    ]
    assert await counts("210504", "2009-10-31") == [
        {"region_code": "210504", "category": "dibao", "age_group": "minor", "count": 1}
    ]
    assert await counts("210504", "2009-10-31", cover_year="2010") == [
        {"region_code": "210504", "category": "dibao", "age_group": "adult", "count": 1}
    ]


EDGE_INSURED_MID_APRIL = id_number("210505", "19700101", 911)
EDGE_UNTIL_FEBRUARY = id_number("210505", "19700101", 913)
EDGE_UNTIL_MAY = id_number("210505", "19700101", 915)
EDGE_TWO_CATEGORIES = id_number("210505", "19700101", 917)
EDGE_INSURED_LEARNT_LATE = id_number("210505", "19700101", 919)


async def _monthly_edge_cases(client: httpx.AsyncClient) -> None:
    """The month's edges (E6 judged on eligible days, E3): employee insurance from the middle of April; an
    exit on the day before March and one on the last day of May; a second category from 10 March that
    ends on 20 June; and (learnt after ``before``, see the test) employee insurance from 20 October."""
    await register(
        client, EDGE_INSURED_MID_APRIL, region_code="210505", employee_insurance_since="2010-04-15"
    )
    await certify(client, EDGE_INSURED_MID_APRIL, "dibao", "2009-01-01")
    await register(client, EDGE_UNTIL_FEBRUARY, region_code="210505")
    await certify(client, EDGE_UNTIL_FEBRUARY, "dibao", "2009-01-01", "2010-02-28")
    await register(client, EDGE_UNTIL_MAY, region_code="210505")
    await certify(client, EDGE_UNTIL_MAY, "marginal", "2009-01-01", "2010-05-31")
    await register(client, EDGE_TWO_CATEGORIES, region_code="210505")
    await certify(client, EDGE_TWO_CATEGORIES, "dibao", "2009-01-01")
    await certify(client, EDGE_TWO_CATEGORIES, "marginal", "2010-03-10", "2010-06-20")
    await register(client, EDGE_INSURED_LEARNT_LATE, region_code="210505")
    await certify(client, EDGE_INSURED_LEARNT_LATE, "dibao", "2009-01-01")


async def _reference_monthly(session: AsyncSession, region: str, month: str, as_of: datetime) -> list[dict]:
    """rules.monthly_change applied to every resident with a certification overlapping the day before the
    month through its last day — the report as it was computed before MONTH_MOVERS."""
    year, number = service.month_of(month)
    first, last = rules.month_bounds(year, number)
    start = datetime.combine(first, time(), service.SHANGHAI)
    end = datetime.combine(last + timedelta(days=1), time(), service.SHANGHAI)
    corrected = await recorded_between(session, region, start, end, as_of)
    rows = []
    async for candidate in candidates(
        session, region=region, first=first - timedelta(days=1), last=last, as_of=as_of
    ):
        found = rules.monthly_change(
            candidate.periods,
            candidate.employee_insurance_since,
            candidate.region_code,
            year,
            number,
            candidate.id_number in corrected,
        )
        if found is not None:
            change, effective, held = found
            rows.append(
                {
                    "change": change.value,
                    "effective_on": effective.isoformat(),
                    "id_number": candidate.id_number,
                    "name": candidate.name,
                    "sex": candidate.sex,
                    "birth_date": candidate.birth_date.isoformat(),
                    "age_group": rules.age_group(candidate.birth_date, year).value,
                    "region_code": candidate.region_code,
                    "community": candidate.community,
                    "household": candidate.household,
                    "categories": [c.value for c in rules.CATEGORY_PRECEDENCE if c in held],
                }
            )
    order = [c.value for c in rules.MonthlyChange]
    return sorted(rows, key=lambda row: (order.index(row["change"]), row["region_code"], row["id_number"]))


async def test_fast_monthly_changes_equal_the_reference_rule(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    """E6 (B§四(三), B§五(三)), judged on eligible days (E3): the monthly detail sheet, which reads only the
    people rules_sql.MONTH_MOVERS selects, equals rules.monthly_change applied to every resident — for every
    month of 2010 in Benxi and Chengdu, as known now and before the back-dated exits and employee insurance,
    and for the month the records were made in (every record 'changed in the month')."""
    await _monthly_edge_cases(client)
    _, before = await _population(session, client)
    response = await client.put(
        f"/v1/residents/{EDGE_INSURED_LEARNT_LATE}",
        json={
            "name": "张三丰",
            "region_code": "210505",
            "community": "平山区东明社区",
            "household": "H-0001",
            "employee_insurance_since": "2010-10-20",
            "reason": "职工医保",
        },
        headers=CIVIL,
    )
    assert response.status_code == 200, response.text
    later = now()
    this_month = later.astimezone(service.SHANGHAI).strftime("%Y-%m")
    asked = [
        (region, f"2010-{m:02d}", as_of)
        for m in range(1, 13)
        for region, as_of in [("210500", later), ("210500", before), ("510100", later)]
    ]
    asked += [("210500", this_month, later), ("210500", this_month, before), ("210505", "2010-10", before)]
    seen: dict[tuple[str, str, str], int] = Counter()
    by_person: dict[tuple[str, str, datetime], dict[str, tuple[str, str]]] = {}
    for region, month, as_of in asked:
        expected = await _reference_monthly(session, region, month, as_of)
        response = await client.get(
            "/v1/monthly-changes",
            params={"region": region, "month": month, "as_of": as_of.isoformat()},
            headers=CIVIL,
        )
        assert response.status_code == 200, response.text
        assert response.json()["items"] == expected, (region, month, as_of)
        seen.update((region, month[:4], row["change"]) for row in expected)
        by_person[(region, month, as_of)] = {
            row["id_number"]: (row["change"], row["effective_on"]) for row in expected
        }
    # Every kind of change was compared, in both scopes and in the month the records were made.
    year = this_month[:4]
    for key in [("210500", "2010", c) for c in ("new", "exited", "changed")] + [
        ("510100", "2010", "new"),
        ("210500", year, "changed"),
    ]:
        assert seen[key] > 0, key
    # The edge cases, worked by hand.
    assert by_person[("210500", "2010-04", later)][EDGE_INSURED_MID_APRIL] == ("exited", "2010-04-14")
    assert EDGE_UNTIL_FEBRUARY not in by_person[("210500", "2010-02", later)]
    assert by_person[("210500", "2010-03", later)][EDGE_UNTIL_FEBRUARY] == ("exited", "2010-03-01")
    assert EDGE_UNTIL_MAY not in by_person[("210500", "2010-05", later)]
    assert by_person[("210500", "2010-06", later)][EDGE_UNTIL_MAY] == ("exited", "2010-06-01")
    assert by_person[("210500", "2010-03", later)][EDGE_TWO_CATEGORIES] == ("changed", "2010-03-10")
    assert by_person[("210500", "2010-06", later)][EDGE_TWO_CATEGORIES] == ("changed", "2010-06-20")
    assert by_person[("210500", "2010-10", later)][EDGE_INSURED_LEARNT_LATE] == ("exited", "2010-10-19")
    assert EDGE_INSURED_LEARNT_LATE not in by_person[("210505", "2010-10", before)]
    # Known now vs before: the back-dated exits and employee insurance change the sheets of 2010.
    assert any(
        by_person[("210500", f"2010-{m:02d}", later)] != by_person[("210500", f"2010-{m:02d}", before)]
        for m in range(1, 13)
    )
    # The fast path reads few people: a month of 2010 is a small part of everyone.
    everyone = [
        c
        async for c in candidates(
            session, region="210500", first=date(2010, 2, 28), last=date(2010, 3, 31), as_of=later
        )
    ]
    few = [c async for c in monthly_candidates(session, region="210500", year=2010, month=3, as_of=later)]
    assert {c.id_number for c in few} <= {c.id_number for c in everyone}
    assert 0 < len(few) < len(everyone) / 5
