"""The set-based import (SQL, in rounds) judges rows exactly as applying them one at a time in file order:
E2 — a row matching a certification's category and valid_from exits or corrects it (a blank 认定机关 /
证明文号 keeps the register's), a row overlapping another certification of its category is rejected
naming it, a row the register already holds is unchanged, a person's version changes only when a field
does. Hypothesis draws files of a few people with repeated categories, exits, corrections and overlaps;
the model below is the row-at-a-time rule the import had before it became set-based."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta

import httpx
from eligibility_helpers import CIVIL, id_number
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huimin_eligibility.divisions import never_assessed_warning
from huimin_eligibility.imports.parsing import CSV_COLUMNS
from huimin_eligibility.imports.repository import DEFAULT_AUTHORITY, DEFAULT_EVIDENCE

HEADER = ",".join(h for h, _ in CSV_COLUMNS)
CATEGORY_NAMES = {"dibao": "低保", "marginal": "低保边缘"}
STARTS = (date(2009, 1, 1), date(2009, 6, 1), date(2010, 1, 1))
ENDS = (None, date(2009, 5, 31), date(2009, 12, 31), date(2010, 6, 30))
_people = itertools.count()  # fresh people for every example: the database outlives the examples


@dataclass(frozen=True)
class Row:
    person: int
    category: str
    valid_from: date
    valid_to: date | None
    authority: str
    evidence: str
    name: str
    household: str


@dataclass
class Cert:
    category: str
    valid_from: date
    valid_to: date | None
    authority: str
    evidence: str
    change: str
    persisted: bool
    dirty: bool = False


@dataclass
class Person:
    version: tuple[str, str] | None = None
    versions: int = 0
    certs: list[Cert] = field(default_factory=list)
    records: int = 0


def row_strategy(people: int) -> st.SearchStrategy[Row]:
    return st.builds(
        Row,
        person=st.integers(0, people - 1),
        category=st.sampled_from(("dibao", "marginal")),
        valid_from=st.sampled_from(STARTS),
        valid_to=st.sampled_from(ENDS),
        authority=st.sampled_from(("", "平山区民政局", "溪湖区民政局")),
        evidence=st.sampled_from(("", "平民低〔2009〕1号")),
        name=st.sampled_from(("张三", "张叁")),
        household=st.sampled_from(("H1", "H2")),
    ).filter(lambda r: r.valid_to is None or r.valid_to >= r.valid_from)


def apply_model(people: list[Person], rows: list[Row]) -> list[tuple[int, str, str | None]]:
    """One file, one chunk, row by row in file order: the report (row number, outcome, reason)."""
    report: list[tuple[int, str, str | None]] = []
    pending_version: set[int] = set()
    for number, row in enumerate(rows, start=2):
        person = people[row.person]
        # an accepted or unchanged row that can never be assessed carries the warning (E1, the import report)
        warning = never_assessed_warning("210502", row.valid_from, row.valid_to, None)
        same = [c for c in person.certs if c.category == row.category]
        match = next((c for c in same if c.valid_from == row.valid_from), None)
        authority = row.authority or (match.authority if match else DEFAULT_AUTHORITY)
        evidence = row.evidence or (match.evidence if match else DEFAULT_EVIDENCE)
        last = row.valid_to or date.max
        clash = [
            c
            for c in same
            if c is not match
            and c.valid_from <= last
            and (c.valid_to is None or c.valid_to >= row.valid_from)
        ]
        if clash:
            until = clash[0].valid_to.isoformat() if clash[0].valid_to else "open"
            reason = (
                f"overlaps the {row.category} certification from {clash[0].valid_from.isoformat()} to {until}"
            )
            report.append((number, "rejected", reason))
            continue
        cert_changed = match is None or (match.valid_to, match.authority, match.evidence) != (
            row.valid_to,
            authority,
            evidence,
        )
        fields = (row.name, row.household)
        version_changed = person.version != fields
        if not cert_changed and not version_changed:
            report.append((number, "unchanged", warning))
            continue
        if version_changed:
            person.version = fields
            pending_version.add(row.person)
        if cert_changed:
            if match is None:
                person.certs.append(
                    Cert(
                        row.category,
                        row.valid_from,
                        row.valid_to,
                        authority,
                        evidence,
                        "certified",
                        False,
                        True,
                    )
                )
            else:
                only_exit = (
                    match.valid_to is None
                    and row.valid_to is not None
                    and (match.authority, match.evidence) == (authority, evidence)
                )
                if (match.persisted and not match.dirty) or match.change != "certified":
                    match.change = "exited" if only_exit else "corrected"
                match.dirty = True
                match.valid_to, match.authority, match.evidence = row.valid_to, authority, evidence
        report.append((number, "accepted", warning))
    for index, person in enumerate(people):
        person.versions += index in pending_version
        person.records += sum(c.dirty for c in person.certs)
        # Records written by this file get new ids after the untouched ones (the register's order).
        person.certs = [c for c in person.certs if not c.dirty] + [c for c in person.certs if c.dirty]
        for cert in person.certs:
            cert.persisted, cert.dirty = True, False
    return report


def csv_of(numbers: list[str], rows: list[Row]) -> bytes:
    lines = [
        f"{numbers[r.person]},{r.name},210502,平山区东明社区,{r.household},{CATEGORY_NAMES[r.category]},"
        f"{r.valid_from.isoformat()},{r.valid_to.isoformat() if r.valid_to else ''},,{r.authority},{r.evidence}"
        for r in rows
    ]
    return ("\n".join([HEADER, *lines]) + "\n").encode()


async def import_rows(client: httpx.AsyncClient, content: bytes) -> list[tuple[int, str, str | None]]:
    response = await client.post(
        "/v1/imports", files={"file": ("r.csv", content)}, data={"mode": "partial"}, headers=CIVIL
    )
    assert response.status_code == 201, response.text
    items = (
        await client.get(f"/v1/imports/{response.json()['id']}/rows", params={"limit": 10000}, headers=CIVIL)
    ).json()["items"]
    return [(i["row_number"], i["outcome"], i["reason"]) for i in items]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    first=st.lists(row_strategy(3), max_size=6),
    second=st.lists(row_strategy(3), min_size=1, max_size=10),
)
async def test_a_file_is_judged_as_its_rows_one_at_a_time(
    client, first: list[Row], second: list[Row]
) -> None:
    """E2: two files in turn for three fresh people; every row's outcome and reason, and afterwards each
    person's current certifications (with change certified/exited/corrected), the number of records and
    of versions, equal the row-at-a-time model."""
    numbers = [
        id_number("210502", (date(1950, 1, 1) + timedelta(days=next(_people))).strftime("%Y%m%d"), 401)
        for _ in range(3)
    ]
    people = [Person() for _ in numbers]
    for rows in (first, second):
        if not rows:
            continue
        expected = apply_model(people, rows)
        assert await import_rows(client, csv_of(numbers, rows)) == expected
    for number, person in zip(numbers, people, strict=True):
        response = await client.get(f"/v1/residents/{number}", headers=CIVIL)
        if person.version is None:
            assert response.status_code == 404
            continue
        assert (response.json()["name"], response.json()["household"]) == person.version
        versions = (await client.get(f"/v1/residents/{number}/versions", headers=CIVIL)).json()
        assert len(versions) == person.versions
        history = (
            await client.get(
                f"/v1/residents/{number}/certifications", params={"history": "true"}, headers=CIVIL
            )
        ).json()["items"]
        assert len(history) == person.records
        current = [
            (h["category"], h["valid_from"], h["valid_to"], h["authority"], h["evidence_ref"], h["change"])
            for h in history
            if h["superseded_at"] is None
        ]
        assert sorted(current, key=str) == sorted(
            (
                (
                    c.category,
                    c.valid_from.isoformat(),
                    c.valid_to.isoformat() if c.valid_to else None,
                    c.authority,
                    c.evidence,
                    c.change,
                )
                for c in person.certs
            ),
            key=str,
        )
