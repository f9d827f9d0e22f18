"""The reviewer's findings, each as hand-worked cases: E3 in the monthly report (E6), bad input is a 422
never a 500, region limits on imports, the audit log and import jobs, concurrent registrations and imports
(E2: one category never overlaps itself), blank 认定机关/证明文号 keep the register's values."""

from __future__ import annotations

import asyncio
import io
import zipfile
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import httpx
import pytest
from eligibility_helpers import CIVIL, SERVICE, certify, id_number, register
from openpyxl import Workbook
from sqlalchemy import text

from huimin_eligibility.app import MIGRATIONS, create_app
from huimin_eligibility.imports.parsing import CSV_COLUMNS
from huimin_eligibility.settings import EligibilitySettings
from huimin_shared.db import create_engine
from huimin_shared.testing import api_client, bearer, service_database

HEADER = ",".join(h for h, _ in CSV_COLUMNS)
CIVIL_PINGSHAN = bearer("civil_affairs", region="210502", subject="clerk-pingshan")
AUDITOR_PINGSHAN = bearer("auditor", region="210502", subject="auditor-pingshan")


def _csv(*lines: str) -> bytes:
    return ("\n".join([HEADER, *lines]) + "\n").encode()


async def _upload(
    client: httpx.AsyncClient, content: bytes, filename: str = "roster.csv", headers: dict | None = None
) -> httpx.Response:
    return await client.post(
        "/v1/imports", files={"file": (filename, content)}, data={"mode": "partial"}, headers=headers or CIVIL
    )


async def _rows(client: httpx.AsyncClient, job_id: str, headers: dict | None = None) -> list[dict]:
    response = await client.get(f"/v1/imports/{job_id}/rows", headers=headers or CIVIL)
    assert response.status_code == 200, response.text
    return response.json()["items"]


# 1.3 — E6 judged on eligible days (E3)


async def test_monthly_report_does_not_list_an_employee_insured_person_as_new(client) -> None:
    """E6 with E3 (B§四(三), B§一(一)): employee insurance since 2005, dibao from 2010-04-01 — never
    eligible, so not "new" in 2010-04; a person without employee insurance certified the same day is."""
    insured = id_number("210502", "19800101", 311)
    plain = id_number("210502", "19800101", 313)
    await register(client, insured, employee_insurance_since="2005-01-01")
    await register(client, plain)
    await certify(client, insured, "dibao", "2010-04-01")
    await certify(client, plain, "dibao", "2010-04-01")
    report = (
        await client.get(
            "/v1/monthly-changes", params={"region": "210502", "month": "2010-04"}, headers=CIVIL
        )
    ).json()
    assert [(r["change"], r["id_number"], r["effective_on"]) for r in report["items"]] == [
        ("new", plain, "2010-04-01")
    ]


# 2.6 — bad input is a 422, never a 500


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/residents/{number}/status", {"on": "0001-01-01"}),
        ("/v1/residents/{number}/status", {"on": "9999-12-31"}),
        ("/v1/residents/{number}/status", {"on": "2010-03-01", "as_of": "0001-01-01T00:00:00+08:00"}),
        ("/v1/residents/{number}/status", {"on": "2010-03-01", "as_of": "9999-12-31T23:59:59-10:00"}),
        ("/v1/roster", {"year": 2010, "region": "210500", "as_of": "0001-01-01T00:00:00+08:00"}),
        ("/v1/roster", {"year": 2010, "region": "210500", "as_of": "9999-12-31T23:59:59-10:00"}),
        ("/v1/roster", {"year": 2010, "region": "210500", "after": "\x00"}),
        ("/v1/roster", {"year": 2010, "region": "210500", "after": "X21050"}),
        ("/v1/head-counts", {"region": "21050A", "on": "2010-01-01"}),
        ("/v1/head-counts", {"region": "210500", "on": "0001-01-01"}),
        ("/v1/head-counts", {"region": "210500", "on": "9999-12-31"}),
        ("/v1/head-counts", {"region": "210500", "on": "2009-10-31", "as_of": "9999-12-31T23:59:59-10:00"}),
        ("/v1/residents/{number}/certifications", {"as_of": "0001-01-01T00:00:00+08:00"}),
        ("/v1/monthly-changes", {"region": "210500", "month": "0001-01"}),
        ("/v1/monthly-changes", {"region": "210500", "month": "9999-12"}),
        ("/v1/audit", {"entity_id": "\x00"}),
        ("/v1/audit", {"entity": "resident\x00"}),
    ],
)
async def test_out_of_range_dates_and_control_characters_are_422(client, path: str, params: dict) -> None:
    """Bad input → 422 problem naming the field (team rule; a 500 is a bug): dates outside 1900–2100,
    an `after` that is not an ID-number prefix, a NUL in a query string."""
    number = id_number("210502", "19800101", 315)
    await register(client, number)
    headers = (
        CIVIL if "roster" not in path and "head-counts" not in path and "status" not in path else SERVICE
    )
    response = await client.get(path.format(number=number), params=params, headers=headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_bulk_status_refuses_out_of_range_dates(client) -> None:
    """2.6: the bulk body bounds `on` and `as_of` like the query."""
    number = id_number("210502", "19800101", 317)
    for body in ({"on": "0001-01-01"}, {"on": "2010-01-01", "as_of": "9999-12-31T23:59:59-10:00"}):
        response = await client.post(
            "/v1/status/bulk", json={**body, "id_numbers": [number]}, headers=SERVICE
        )
        assert response.status_code == 422, response.text


async def test_a_nul_byte_in_a_csv_cell_rejects_that_row_only(client) -> None:
    """2.6: a NUL in a cell is reported on its row; the other rows apply."""
    good = id_number("210502", "19800101", 321)
    bad = id_number("210502", "19800101", 323)
    job = (
        await _upload(
            client,
            _csv(
                f"{good},张三,210502,平山区东明社区,H1,低保,2009-06-01,,,平山区民政局,平民低〔2009〕1号",
                f"{bad},李\x00四,210502,平山区东明社区,H2,低保,2009-06-01,,,平山区民政局,平民低〔2009〕2号",
            ),
        )
    ).json()
    assert (job["accepted"], job["rejected"]) == (1, 1)
    rows = await _rows(client, job["id"])
    assert rows[1]["row_number"] == 3
    assert "control character" in rows[1]["reason"]


async def test_a_csv_field_over_128_kib_is_a_422(client) -> None:
    """2.6: csv.Error (field larger than the csv module's limit) is an unreadable file, not a 500."""
    number = id_number("210502", "19800101", 325)
    huge = "社" * (140 * 1024)
    response = await _upload(
        client, _csv(f"{number},张三,210502,{huge},H1,低保,2009-06-01,,,平山区民政局,平民低〔2009〕1号")
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "body.file"
    assert "row 2" in response.json()["errors"][0]["reason"]


async def test_a_truncated_xlsx_is_a_422(client) -> None:
    """2.6: a workbook whose sheet XML breaks off (ParseError while reading rows) is a 422."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([h for h, _ in CSV_COLUMNS])
    for sequence in range(331, 371, 2):
        number = id_number("210502", "19800101", sequence)
        sheet.append(
            [number, "张三", "210502", "平山区东明社区", "H1", "低保", "2009-06-01", "", "", "x", "y"]
        )
    whole = io.BytesIO()
    workbook.save(whole)
    truncated = io.BytesIO()
    with zipfile.ZipFile(whole) as source, zipfile.ZipFile(truncated, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) * 2 // 3]
            target.writestr(item, data)
    response = await _upload(client, truncated.getvalue(), filename="名册.xlsx")
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "body.file"


# 2.3 — a region-limited import cannot change residents of another region


async def test_a_region_limited_import_rejects_residents_living_elsewhere(client) -> None:
    """2.3 (region limits): a 210502 token's row naming 210502 for a resident who lives in 210503 is
    rejected on its row, and the resident's record is unchanged; a 210502 resident's row applies."""
    elsewhere = id_number("210503", "19800101", 341)
    home = id_number("210502", "19800101", 343)
    await register(client, elsewhere, region_code="210503", community="溪湖区河沿社区")
    job = (
        await _upload(
            client,
            _csv(
                f"{elsewhere},张三,210502,平山区东明社区,H1,低保,2009-06-01,,,平山区民政局,平民低〔2009〕1号",
                f"{home},李四,210502,平山区东明社区,H2,低保,2009-06-01,,,平山区民政局,平民低〔2009〕2号",
            ),
            headers=CIVIL_PINGSHAN,
        )
    ).json()
    assert (job["accepted"], job["rejected"]) == (1, 1)
    rows = await _rows(client, job["id"], CIVIL_PINGSHAN)
    assert (rows[0]["outcome"], rows[1]["outcome"]) == ("rejected", "accepted")
    assert "lives in 210503" in rows[0]["reason"]
    resident = (await client.get(f"/v1/residents/{elsewhere}", headers=CIVIL)).json()
    assert resident["region_code"] == "210503"
    certifications = (await client.get(f"/v1/residents/{elsewhere}/certifications", headers=CIVIL)).json()
    assert certifications["items"] == []


# 2.8 — region limits on the audit log and import jobs


async def test_a_region_limited_token_reads_only_its_regions_audit_entries_and_import_jobs(client) -> None:
    """2.8: a 210502 token sees the audit entries of 210502 residents (registration, certification) and
    of its own import, not those of a 210503 resident or a city-wide import; it cannot read a city-wide
    import job or its rows (403)."""
    pingshan = id_number("210502", "19800101", 351)
    xihu = id_number("210503", "19800101", 353)
    await register(client, pingshan)
    await register(client, xihu, region_code="210503", community="溪湖区河沿社区")
    mine = await certify(client, pingshan, "dibao", "2009-06-01")
    theirs = await certify(client, xihu, "dibao", "2009-06-01")
    city_job = (
        await _upload(
            client,
            _csv(f"{xihu},王五,210503,溪湖区河沿社区,H3,低保边缘,2010-01-01,,,溪湖区民政局,溪民〔2010〕1号"),
        )
    ).json()
    own_job = (
        await _upload(
            client,
            _csv(
                f"{pingshan},张三丰,210502,平山区东明社区,H-0001,低保边缘,2010-01-01,,,平山区民政局,平民〔2010〕2号"
            ),
            headers=CIVIL_PINGSHAN,
        )
    ).json()
    assert own_job["accepted"] == 1

    entries = (await client.get("/v1/audit", params={"limit": 1000}, headers=AUDITOR_PINGSHAN)).json()[
        "items"
    ]
    seen = {(e["entity"], e["entity_id"]) for e in entries}
    assert ("resident", pingshan) in seen
    assert ("certification", str(mine["lineage"])) in seen
    assert ("import", own_job["id"]) in seen
    assert ("resident", xihu) not in seen
    assert ("certification", str(theirs["lineage"])) not in seen
    assert ("import", city_job["id"]) not in seen
    everything = (await client.get("/v1/audit", params={"limit": 1000}, headers=CIVIL)).json()["items"]
    assert ("resident", xihu) in {(e["entity"], e["entity_id"]) for e in everything}

    assert (await client.get(f"/v1/imports/{city_job['id']}", headers=CIVIL_PINGSHAN)).status_code == 403
    assert (await client.get(f"/v1/imports/{city_job['id']}/rows", headers=CIVIL_PINGSHAN)).status_code == 403
    assert (await client.get(f"/v1/imports/{own_job['id']}", headers=CIVIL_PINGSHAN)).status_code == 200
    assert (await client.get(f"/v1/imports/{own_job['id']}", headers=CIVIL)).status_code == 200


# Docs — a blank 认定机关 / 证明文号 keeps the register's values


async def test_an_exit_with_blank_authority_cells_stays_a_plain_exit(client) -> None:
    """E2: the exit arrives with 退出日期 filled and 认定机关/证明文号 blank: the record is "exited" with the
    authority and evidence it had, not a "corrected" record with placeholders."""
    number = id_number("210502", "19800101", 361)
    line = f"{number},张三,210502,平山区东明社区,H1,低保,2009-06-01,,,平山区民政局,平民低〔2009〕1号"
    await _upload(client, _csv(line))
    exit_line = f"{number},张三,210502,平山区东明社区,H1,低保,2009-06-01,2010-04-30,,,"
    job = (await _upload(client, _csv(exit_line))).json()
    assert job["accepted"] == 1
    history = (
        await client.get(f"/v1/residents/{number}/certifications", params={"history": "true"}, headers=CIVIL)
    ).json()["items"]
    assert [(h["change"], h["valid_to"], h["authority"], h["evidence_ref"]) for h in history] == [
        ("certified", None, "平山区民政局", "平民低〔2009〕1号"),
        ("exited", "2010-04-30", "平山区民政局", "平民低〔2009〕1号"),
    ]
    again = (await _upload(client, _csv(exit_line))).json()
    assert (again["accepted"], again["unchanged"]) == (0, 1)


# 2.4, 2.7 — concurrent writers on committed data


@pytest.fixture
async def own_url() -> AsyncIterator[str]:
    async with service_database("eligibility", MIGRATIONS) as url:
        yield url


@pytest.fixture
async def committed_client(own_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The app on a database of its own, every request in its own committed transaction."""
    settings = EligibilitySettings(database_url=own_url, environment="test")
    async with api_client(create_app(settings)) as client:
        yield client


async def test_registering_the_same_resident_concurrently_is_one_201_and_one_409(committed_client) -> None:
    """2.7 (E1: one resident per ID number): two registrations at once → 201 and 409, never a 500."""
    for sequence in (371, 373, 375):
        body = {
            "id_number": id_number("210502", "19800101", sequence),
            "name": "张三",
            "region_code": "210502",
            "community": "平山区东明社区",
            "household": "H1",
        }
        responses = await asyncio.gather(
            *(committed_client.post("/v1/residents", json=body, headers=CIVIL) for _ in range(2))
        )
        assert sorted(r.status_code for r in responses) == [201, 409], [r.text for r in responses]


async def test_concurrent_imports_never_overlap_one_category(committed_client) -> None:
    """2.4 (E2: one category never overlaps itself): two imports at once, one certifying dibao from
    2009-06-01 (open) and one from 2010-01-01 (open), for a registered resident and for a new one: for each
    person exactly one row is accepted and the other rejected as overlapping; one current dibao record."""
    existing = id_number("210502", "19800101", 381)
    new = id_number("210502", "19800101", 383)
    await register(committed_client, existing)

    def line(number: str, start: str) -> str:
        return f"{number},张三丰,210502,平山区东明社区,H-0001,低保,{start},,,平山区民政局,平民低〔2009〕1号"

    first = _csv(line(existing, "2009-06-01"), line(new, "2009-06-01"))
    second = _csv(line(existing, "2010-01-01"), line(new, "2010-01-01"))
    jobs = await asyncio.gather(_upload(committed_client, first), _upload(committed_client, second))
    assert [j.status_code for j in jobs] == [201, 201], [j.text for j in jobs]
    # The locks are taken in ID-number order, so whichever import locks first applies both of its rows.
    assert sorted((j.json()["accepted"], j.json()["rejected"]) for j in jobs) == [(0, 2), (2, 0)]
    for number in (existing, new):
        current = (await committed_client.get(f"/v1/residents/{number}/certifications", headers=CIVIL)).json()
        assert len(current["items"]) == 1, current


# 2.5 — a pinned as_of is repeatable


async def test_a_pinned_as_of_never_changes_when_an_in_flight_writer_commits(
    own_url: str, committed_client: httpx.AsyncClient
) -> None:
    """2.5 (E2, bitemporal): a writer that began before the read records at PostgreSQL's transaction time;
    while it runs, the default as_of (and an explicit later one, clamped) stays before it began, so after
    it commits the same as_of gives the same answer (404 unknown); the default as_of then sees it."""
    number = id_number("210502", "19800101", 391)
    engine = create_engine(own_url, pool_size=1)
    try:
        async with engine.connect() as writer:
            await writer.execute(text("SELECT txid_current()"))
            started = (
                await writer.execute(
                    text("SELECT xact_start FROM pg_stat_activity WHERE pid = pg_backend_pid()")
                )
            ).scalar_one()
            recorded = (await writer.execute(text("SELECT clock_timestamp()"))).scalar_one()
            await writer.execute(
                text("INSERT INTO residents VALUES (:n, '1980-01-01', 'male', :t, 'w');"),
                {"n": number, "t": recorded},
            )
            await writer.execute(
                text(
                    "INSERT INTO resident_versions (id_number, name, region_code, community, household,"
                    " recorded_at, recorded_by) VALUES (:n, '张三', '210502', '平山区东明社区', 'H1', :t, 'w')"
                ),
                {"n": number, "t": recorded},
            )
            during = await committed_client.get(
                f"/v1/residents/{number}/status", params={"on": "2010-01-01"}, headers=SERVICE
            )
            assert during.status_code == 404
            pinned = (
                await committed_client.get(
                    "/v1/head-counts", params={"region": "210500", "on": "2010-01-01"}, headers=SERVICE
                )
            ).json()["as_of"]
            assert datetime.fromisoformat(pinned) < started
            later = (recorded + timedelta(hours=1)).isoformat()
            clamped = (
                await committed_client.get(
                    "/v1/head-counts",
                    params={"region": "210500", "on": "2010-01-01", "as_of": later},
                    headers=SERVICE,
                )
            ).json()["as_of"]
            assert datetime.fromisoformat(clamped) < started
            await writer.commit()
    finally:
        await engine.dispose()
    again = await committed_client.get(
        f"/v1/residents/{number}/status", params={"on": "2010-01-01", "as_of": pinned}, headers=SERVICE
    )
    assert again.status_code == 404
    now_known = await committed_client.get(
        f"/v1/residents/{number}/status", params={"on": "2010-01-01"}, headers=SERVICE
    )
    assert now_known.status_code == 200
    assert datetime.fromisoformat(now_known.json()["as_of"]) >= recorded


async def test_a_writer_outside_the_register_does_not_hold_the_pinned_as_of_back(
    own_url: str, committed_client: httpx.AsyncClient
) -> None:
    """2.5 (E2): only a transaction that can record into the register (ROW EXCLUSIVE on resident_versions or
    certifications, taken by eligibility_transaction_time before its clock) bounds the pinned as_of
    (migration 0009_pin_writers). A long transaction writing elsewhere — an event delivery round, a job
    lease — does not: "as known now" stays now, not the moment that transaction began."""
    engine = create_engine(own_url, pool_size=1)
    try:
        async with engine.connect() as elsewhere:
            await elsewhere.execute(text("SELECT txid_current()"))
            started = (
                await elsewhere.execute(
                    text("SELECT xact_start FROM pg_stat_activity WHERE pid = pg_backend_pid()")
                )
            ).scalar_one()
            await elsewhere.execute(
                text(
                    "INSERT INTO read_log (id_number, at, reader, role, purpose) VALUES (:n, now(), 'w', 'w', 'w')"
                ),
                {"n": id_number("210502", "19800101", 393)},
            )
            pinned = (
                await committed_client.get(
                    "/v1/head-counts", params={"region": "210500", "on": "2010-01-01"}, headers=SERVICE
                )
            ).json()["as_of"]
            assert datetime.fromisoformat(pinned) > started
            await elsewhere.rollback()
    finally:
        await engine.dispose()


async def test_a_status_look_up_during_a_writer_that_has_its_time_but_has_not_written_stays_repeatable(
    own_url: str, committed_client: httpx.AsyncClient
) -> None:
    """2.5 (E2, bitemporal) on the look-up's fast path: a writer takes its instant through
    eligibility_transaction_time (ROW EXCLUSIVE on the bitemporal tables, then its clock) and writes only
    later. A look-up meanwhile may not answer "as known now" — the writer will record before now — so its
    as_of is before the writer began; after the writer commits, the same as_of gives the same answer
    (not found: 404), and the default as_of then sees the resident."""
    number = id_number("210502", "19800101", 393)
    engine = create_engine(own_url, pool_size=1)
    try:
        async with engine.connect() as writer:
            recorded = (await writer.execute(text("SELECT eligibility_transaction_time()"))).scalar_one()
            started = (
                await writer.execute(
                    text("SELECT xact_start FROM pg_stat_activity WHERE pid = pg_backend_pid()")
                )
            ).scalar_one()
            during = await committed_client.post(
                "/v1/status/bulk", json={"on": "2010-01-01", "id_numbers": [number]}, headers=SERVICE
            )
            assert during.json()["not_found"] == [number], during.text
            pinned = during.json()["as_of"]
            assert datetime.fromisoformat(pinned) < started
            await writer.execute(
                text("INSERT INTO residents VALUES (:n, '1980-01-01', 'male', :t, 'w');"),
                {"n": number, "t": recorded},
            )
            await writer.execute(
                text(
                    "INSERT INTO resident_versions (id_number, name, region_code, community, household,"
                    " recorded_at, recorded_by) VALUES (:n, '张三', '210502', '平山区东明社区', 'H1', :t, 'w')"
                ),
                {"n": number, "t": recorded},
            )
            await writer.commit()
    finally:
        await engine.dispose()
    again = await committed_client.get(
        f"/v1/residents/{number}/status", params={"on": "2010-01-01", "as_of": pinned}, headers=SERVICE
    )
    assert again.status_code == 404
    assert (
        await committed_client.get(
            f"/v1/residents/{number}/status", params={"on": "2010-01-01"}, headers=SERVICE
        )
    ).status_code == 200


async def test_with_no_writer_in_flight_a_status_look_up_answers_as_known_now(
    committed_client: httpx.AsyncClient,
) -> None:
    """2.5 fast path: nothing in flight, so the look-up's as_of is PostgreSQL's clock at the look-up — a
    registration committed just before is in the answer, and the as_of is not before it was recorded."""
    number = id_number("210502", "19800101", 395)
    await register(committed_client, number)
    recorded = (await committed_client.get(f"/v1/residents/{number}", headers=CIVIL)).json()["recorded_at"]
    answer = await committed_client.get(
        f"/v1/residents/{number}/status", params={"on": "2010-01-01"}, headers=SERVICE
    )
    assert answer.status_code == 200, answer.text
    assert datetime.fromisoformat(answer.json()["as_of"]) >= datetime.fromisoformat(recorded)
