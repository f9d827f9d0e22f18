"""Settlement's events (issue 16.4, docs/events.md): an executed batch writes `batch-paid`, an executed
refunds batch `refunded`, in the transaction that executes it — once, however often it is executed."""

from sqlalchemy import text

from .test_batches import annual_2010, approve, execute, prepare, residents  # noqa: F401 — fixtures

MAF = "medical_assistance_fund:210500"


async def _events(session, batch_id: str) -> list[tuple[str, dict[str, object]]]:
    rows = await session.execute(
        text("SELECT type, data FROM outbox_events WHERE subject = :subject ORDER BY id"),
        {"subject": f"batches/{batch_id}"},
    )
    return [(row.type, row.data) for row in rows]


async def test_an_executed_batch_is_one_batch_paid_event(ledger, annual_2010, session) -> None:  # noqa: F811
    """S4: executed once (twice asked), one event carrying the batch's kind and control total."""
    await ledger.fund(MAF, "1000.00")
    batch = (await prepare(ledger.client, kind="dibao_collective")).json()
    await approve(ledger.client, batch["id"])
    assert await _events(session, batch["id"]) == []  # prepared and approved: nothing paid yet
    assert (await execute(ledger.client, batch["id"])).status_code == 200
    assert (await execute(ledger.client, batch["id"])).status_code == 200
    ((kind, data),) = await _events(session, batch["id"])
    assert kind == "cn.huimin.settlement.batch-paid.v1"
    assert (data["kind"], data["control_total"], data["value_date"]) == (
        "dibao_collective",
        "330.00",
        "2010-01-14",
    )


async def test_an_executed_refunds_batch_is_a_refunded_event(
    ledger,
    premium,
    make_line,
    residents,  # noqa: F811
    session,
) -> None:
    """B§四(四): the year-end refunds batch executed is `refunded`, with no ID number in it."""
    premium.publish(
        "R-2010",
        [make_line(residents["p4"], "210502", "marginal", "adult", ("0.00", "0.00", "88.20", "37.80"))],
        kind="refunds",
    )
    await ledger.fund(MAF, "200.00")
    batch = (await prepare(ledger.client, kind="refunds", assessment_id="R-2010")).json()
    await approve(ledger.client, batch["id"])
    await execute(ledger.client, batch["id"], value_date="2010-12-20")
    ((kind, data),) = await _events(session, batch["id"])
    assert kind == "cn.huimin.settlement.refunded.v1"
    assert (data["kind"], data["control_total"]) == ("refunds", "126.00")
    assert residents["p4"] not in str(data)
