"""The bulk load of a batch in SQL (issue 13) against the pure rules it mirrors (B§四(二), P6, S3, S4):
premium's NDJSON goes straight to COPY, and PostgreSQL takes, halves, marks the odd fen and numbers the
lines exactly as ``batches.rules`` says; a line premium got wrong is refused, naming it."""

import itertools
import json
import random
import uuid
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import text

from huimin_policy.enums import NO_CATEGORY
from huimin_settlement.batches import ingest, rules, snapshots, staging
from huimin_settlement.batches.rules import BatchKind, ByPayer
from huimin_settlement.peers import PremiumClient
from huimin_shared.auth import Role
from huimin_shared.money import format_fen
from huimin_shared.testing import bearer

MAKER = bearer(Role.social_insurance, subject="si-clerk")
FINANCE = bearer(Role.finance, subject="finance-clerk")
PREMIUM_LINES = "http://premium.test/v1/assessments/{id}/versions/1/lines"


def mixed_lines(make_line, make_id, count: int = 120) -> list[dict[str, object]]:
    """Lines of three regions and three categories interleaved, odd and even fen, some negative."""
    draw = random.Random(2010)
    regions, categories = ("210502", "210503", "210521"), ("dibao", "marginal", "orphan")
    found = []
    for n in range(count):
        parts = tuple(format_fen(draw.choice((1, 1, -1)) * draw.randint(0, 9_999)) for _ in range(4))
        region, category = draw.choice(regions), draw.choice(categories)
        found.append(make_line(make_id(region, "19800101", n + 1), region, category, "adult", parts))
    return found


async def prepare(client, assessment_id: str, **body):
    payload = {
        "city": "210500",
        "year": 2010,
        "assessment_id": assessment_id,
        "assessment_version": 1,
        **body,
    }
    return await client.post("/v1/batches", json=payload, headers=MAKER)


async def stored_lines(session, batch_id: str) -> list[tuple[int, str, tuple[int, ...], int | None]]:
    rows = await session.execute(
        text(
            "SELECT line_no, id_number, central, province, city, district_or_county, odd_fen FROM batch_lines "
            "WHERE batch_id = :b ORDER BY line_no"
        ),
        {"b": batch_id},
    )
    return [(r[0], r[1], ByPayer.of_yuan(*r[2:6]).fen, r[6]) for r in rows.all()]


def expected_lines(
    lines, kind: BatchKind, instalment: int
) -> list[tuple[int, str, tuple[int, ...], int | None]]:
    """What the pure rules say the batch holds, in stream order."""
    taken = []
    for item in lines:
        assessed = ByPayer.of_yuan(*(item["by_payer"][p] for p in rules.PAYERS))
        if not rules.takes_line(kind, str(item["category"]), "regular"):
            continue
        paid = ByPayer.of_fen(rules.line_amounts_fen(kind, instalment, assessed.fen))
        if paid.total_fen == 0:
            continue
        odd = assessed.odd_fen_bits() if kind is BatchKind.marginal_instalment and instalment == 1 else None
        taken.append((item, paid, odd))
    numbers = rules.line_numbers((str(i["region_code"]), str(i["category"])) for i, _p, _o in taken)
    found = [(n, str(i["id_number"]), p.fen, o) for n, (i, p, o) in zip(numbers, taken, strict=True)]
    return sorted(found)


@pytest.mark.parametrize(
    ("kind", "instalment"),
    [(BatchKind.dibao_collective, 0), (BatchKind.marginal_instalment, 1), (BatchKind.marginal_instalment, 2)],
)
async def test_the_sql_load_takes_halves_marks_and_numbers_lines_as_the_rules_say(
    ledger, premium, make_line, make_id, session, own_shares_paid, kind, instalment
) -> None:
    """B§四(一)/(二), P6, S4: every line the SQL load writes — its number (block per region and category in
    order of first appearance), each payer's part (halved, odd fen first, also below zero) and the odd-fen
    bits of instalment 1 — equals what ``rules`` computes from the same stream."""
    lines = mixed_lines(make_line, make_id)
    premium.publish("MIXED", lines)
    await own_shares_paid(ledger.client, premium)  # S3: every marginal person has paid their own share
    response = await prepare(ledger.client, "MIXED", kind=kind.value, instalment=instalment)
    assert response.status_code == 201, response.text
    assert await stored_lines(session, response.json()["id"]) == expected_lines(lines, kind, instalment)
    control = response.json()["control"]
    expected = sum(
        (ByPayer.of_fen(fen) for _n, _i, fen, _o in expected_lines(lines, kind, instalment)), ByPayer()
    )
    assert Decimal(control["total"]) == expected.total


@pytest.mark.parametrize("kind", list(BatchKind))
async def test_the_sql_condition_takes_the_lines_takes_line_takes(session, kind) -> None:
    """S3/S4: ``staging.takes_sql`` (what the SQL load keeps) agrees with ``rules.takes_line`` for every
    category, line kind and adjusted version, and for an adjustment batch of each kind."""
    pays_kinds = (
        [k for k in BatchKind if k is not BatchKind.adjustment] if kind is BatchKind.adjustment else [kind]
    )
    cases = list(
        itertools.product(
            ("dibao", "marginal", "orphan", NO_CATEGORY), ("regular", "adjustment"), (None, 1, 2, 3)
        )
    )
    for pays_kind in pays_kinds:
        condition = staging.takes_sql(kind, pays_kind)
        for category, line_kind, adjusts_version in cases:
            taken = (
                await session.execute(
                    text(
                        f"SELECT {condition} FROM (SELECT CAST(:category AS text) AS category, "
                        "CAST(:line_kind AS text) AS line_kind, CAST(:adjusts AS integer) AS adjusts_version) AS l"
                    ),
                    {
                        "category": category,
                        "line_kind": line_kind,
                        "adjusts": adjusts_version,
                        "paid_through": 2,
                    },
                )
            ).scalar_one()
            wanted = rules.takes_line(kind, category, line_kind, adjusts_version, 2) and (
                kind is not BatchKind.adjustment or rules.takes_line(pays_kind, category, "regular")
            )
            assert taken is wanted, (kind, pays_kind, category, line_kind, adjusts_version)


@pytest.mark.parametrize(
    ("bad_line", "named"),
    [
        (b'{"not json', "line 2"),
        (None, "line 2"),  # an amount with three decimals
    ],
)
async def test_a_line_premium_got_wrong_is_refused_naming_it_and_nothing_is_written(
    ledger, premium, peers, make_line, make_id, bad_line, named
) -> None:
    """S4: a batch is never built from a line that cannot be read exactly (not JSON, more than two
    decimals): 503 naming premium and the line, and no batch."""
    lines = [
        make_line(
            make_id("210502", "19800101", n), "210502", "dibao", "adult", ("0.00", "0.00", "126.00", "54.00")
        )
        for n in (1, 2, 3)
    ]
    premium.publish("BAD", lines)
    sent = [json.dumps(item).encode() for item in lines]
    sent[1] = bad_line or sent[1].replace(b'"126.00"', b'"126.001"')
    peers.get(PREMIUM_LINES.format(id="BAD")).mock(
        return_value=httpx.Response(
            200, content=b"\n".join(sent) + b"\n", headers={"Content-Type": "application/x-ndjson"}
        )
    )
    refused = await prepare(ledger.client, "BAD", kind="dibao_collective")
    assert refused.status_code == 503, refused.text
    assert refused.json()["service"] == "premium"
    assert named in refused.json()["detail"]
    assert (await ledger.client.get("/v1/batches?city=210500", headers=FINANCE)).json()["items"] == []


async def test_a_batch_narrowed_to_some_people_pays_those_people_only(
    premium, make_line, make_id, session
) -> None:
    """S4 (the hook a batch that pays some people only uses): with ``people`` the load keeps only those ID
    numbers, numbered as the rules number them; the stream is still checked whole against the groups."""
    lines = [
        make_line(
            make_id("210502", "19800101", n), "210502", "dibao", "adult", ("0.00", "0.00", "126.00", "54.00")
        )
        for n in (1, 2, 3)
    ]
    premium.publish("SOME", lines)
    chosen = [str(lines[0]["id_number"]), str(lines[2]["id_number"])]
    async with httpx.AsyncClient() as http:
        client = PremiumClient(http, "http://premium.test", lambda: "token")
        version = await client.assessment_version("SOME", 1)
        groups = await snapshots.groups(client, version, "210500")
        plan = ingest.LinePlan(
            batch_id=uuid.uuid4(),
            city="210500",
            assessment_id="SOME",
            version=1,
            kind=BatchKind.dibao_collective,
            pays_kind=BatchKind.dibao_collective,
            people=chosen,
        )
        await ingest.stream_lines(session, client, plan, groups)
    assert [(n, i, f) for n, i, f, _o in await stored_lines(session, str(plan.batch_id))] == [
        (1, chosen[0], (0, 0, 12600, 5400)),
        (2, chosen[1], (0, 0, 12600, 5400)),
    ]
