"""Refusals the review asked for: contradictory bank files (S4), value dates and amounts out of bounds,
ids beyond 64 bits, unreadable files (422, never 500), region-limited reading and expiry, a reused
transfer id naming another movement (S4), closing a period against transfers in flight (B§三, S4)."""

import asyncio
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_settlement.funding import service as funding_service
from huimin_settlement.funding.repository import FundingRepository
from huimin_settlement.ledger import service as ledger_service
from huimin_settlement.ledger.repository import LedgerRepository
from huimin_settlement.ledger.service import NewTransfer, PeriodClosed, today_in_shanghai
from huimin_shared.auth import Principal, Role
from huimin_shared.errors import Conflict
from huimin_shared.testing import bearer

FINANCE = bearer(Role.finance, subject="finance-clerk")
PINGSHAN = bearer(Role.finance, subject="fin-pingshan", region="210502")
CHENGDU = bearer(Role.finance, subject="fin-chengdu", region="510100")
LIAONING = bearer(Role.finance, subject="fin-liaoning", region="210000")
CF, DF = "city_finance:210500", "district_finance:210502"


def problem_fields(response) -> set[str]:
    return {error["field"] for error in response.json()["errors"]}


async def test_a_bank_file_paying_and_refusing_one_instruction_is_refused(ledger) -> None:
    """S4: the bank cannot have paid (成功) and refused (失败) the same 指令编号; the file is refused with
    both rows named and the pending 25.00 stays pending."""
    pending = (await ledger.transfer(CF, DF, "25.00", pending=True)).json()["transfers"][0]
    file = f"指令编号,结果,银行流水号,说明\r\n{pending['id']},成功,B1,\r\n{pending['id']},失败,B2,退回\r\n"
    response = await ledger.client.post(
        "/v1/bank/confirmations",
        files={"file": ("c.csv", file.encode("gb18030"), "text/csv")},
        headers=FINANCE,
    )
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["field"] == "file.row3.结果"
    assert "row 2" in error["reason"]
    assert "row 3" in error["reason"]
    detail = (await ledger.client.get(f"/v1/transfers/{pending['id']}", headers=FINANCE)).json()
    assert detail["state"] == "pending"
    assert (await ledger.balance(DF))["pending_credits"] == "25.00"


@pytest.mark.parametrize(
    "content",
    [
        b"\x80\x81\xff\xfe\x00",  # neither UTF-8 nor GB18030
        ("指令编号,结果\n" + '"' + "x" * 200_000 + '",成功\n').encode(),  # over the csv field limit
    ],
)
async def test_an_unreadable_bank_file_is_a_422_on_file(ledger, content: bytes) -> None:
    """S4: bad bytes or a CSV the reader cannot parse are refused as 422 on `file`, writing nothing."""
    response = await ledger.client.post(
        "/v1/bank/confirmations", files={"file": ("c.csv", content, "text/csv")}, headers=FINANCE
    )
    assert response.status_code == 422, response.text
    assert problem_fields(response) == {"file"}


@pytest.mark.parametrize("value_date", ["0001-01-01", "1999-12-31"])
async def test_a_value_date_before_2000_is_refused(ledger, value_date: str) -> None:
    """S4 / B§三: the period is the value date's year; 0001-01-01 would book into a year nobody settles."""
    response = await ledger.transfer(CF, DF, "1.00", expect=422, value_date=value_date)
    assert problem_fields(response) == {"body.transfers.0.value_date"}


async def test_a_value_date_more_than_a_year_ahead_is_refused_one_year_is_taken(ledger) -> None:
    """S4: at most one year after today (Asia/Shanghai); 2000-01-01 is the earliest date taken."""
    today = today_in_shanghai()
    limit = date(today.year + 1, today.month, 28 if (today.month, today.day) == (2, 29) else today.day)
    refused = await ledger.transfer(
        CF, DF, "1.00", expect=422, value_date=(limit + timedelta(days=1)).isoformat()
    )
    assert problem_fields(refused) == {"body.transfers.0.value_date"}
    await ledger.transfer(CF, DF, "1.00", value_date=limit.isoformat())
    await ledger.transfer(CF, DF, "1.00", value_date="2000-01-01")


async def test_reverse_execute_and_funding_bodies_bound_the_value_date(ledger) -> None:
    """S4: the same bounds on every body that books: reverse, batch execute, funding runs (422 on the field)."""
    posted = (await ledger.transfer(CF, DF, "3.00")).json()["transfers"][0]
    reverse = await ledger.client.post(
        f"/v1/transfers/{posted['id']}/reverse", json={"value_date": "0001-01-01"}, headers=ledger.key()
    )
    assert reverse.status_code == 422
    assert problem_fields(reverse) == {"body.value_date"}
    execute = await ledger.client.post(
        f"/v1/batches/{uuid.uuid4()}/execute", json={"value_date": "1999-01-01"}, headers=FINANCE
    )
    assert execute.status_code == 422
    assert problem_fields(execute) == {"body.value_date"}
    for path, body in [
        ("/v1/funding/year-end-settlements", {"city": "210500", "year": 2010, "value_date": "0001-12-31"}),
        (
            "/v1/funding/supplementary-allocations",
            {"city": "210500", "year": 2010, "value_date": "0001-01-01"},
        ),
        (
            "/v1/funding/pre-allocations",
            {
                "city": "210500",
                "year": 2010,
                "assessment_id": "A",
                "assessment_version": 1,
                "value_date": "0001-01-01",
            },
        ),
    ]:
        response = await ledger.client.post(path, json=body, headers=ledger.key())
        assert response.status_code == 422, (path, response.text)
        assert problem_fields(response) == {"body.value_date"}


@pytest.mark.parametrize("amount", ["100000000000000000000.00", "1000000000000.00"])
async def test_an_amount_beyond_the_column_is_a_422(ledger, amount: str) -> None:
    """P6 / S4: an amount above 999999999999.99 (huimin_shared.money.MAX_YUAN, within the Numeric(16, 2)
    columns) is refused naming the field, not a 500 (a regression guard: the shared Money type already bounds it)."""
    response = await ledger.transfer(CF, DF, amount, expect=422)
    assert problem_fields(response) == {"body.transfers.0.amount"}
    assert "999999999999.99" in response.text


async def test_ids_beyond_64_bits_are_422_not_500(ledger) -> None:
    """S4: an account id or cursor above 2**63 − 1 is refused before it reaches the database."""
    for path in (f"/v1/accounts/{2**63}", "/v1/accounts/99999999999999999999"):
        response = await ledger.client.get(path, headers=FINANCE)
        assert response.status_code == 422, response.text
    maf = ledger.accounts["medical_assistance_fund:210500"]
    entries = await ledger.client.get(f"/v1/accounts/{maf}/entries?after={2**70}", headers=FINANCE)
    assert entries.status_code == 422
    body = {
        "transfers": [{"debit_account_id": 2**70, "credit_account_id": ledger.accounts[CF], "amount": "1.00"}]
    }
    response = await ledger.client.post("/v1/transfers", json=body, headers=ledger.key())
    assert response.status_code == 422
    assert problem_fields(response) == {"body.transfers.0.debit_account_id"}


async def test_a_region_token_lists_only_the_ledgers_its_region_contains(ledger) -> None:
    """S2 / R2: what a list shows is what the single-row routes let the token read (ensure_covers on the
    ledger's city): 成都 sees nothing of 本溪, 平山区 (a district) no city ledger, 辽宁省 本溪's ledger."""
    posted = (await ledger.transfer(CF, DF, "2.00")).json()["transfers"][0]
    everything = (await ledger.client.get("/v1/accounts", headers=FINANCE)).json()["items"]
    for token, accounts_seen in ((CHENGDU, 0), (PINGSHAN, 0), (LIAONING, len(everything))):
        accounts = (await ledger.client.get("/v1/accounts", headers=token)).json()["items"]
        assert len(accounts) == accounts_seen
        transfers = (await ledger.client.get("/v1/transfers", headers=token)).json()["items"]
        assert (posted["id"] in {t["id"] for t in transfers}) is bool(accounts_seen)
        detail = await ledger.client.get(f"/v1/transfers/{posted['id']}", headers=token)
        assert (detail.status_code == 200) is bool(accounts_seen)


async def test_expiring_pending_transfers_stays_inside_the_token_region(
    ledger, session: AsyncSession
) -> None:
    """S2 / S4: a 成都 token's expiry sweep leaves 本溪's overdue pending 4.00 alone; 本溪's finance voids it."""
    pending = (await ledger.transfer(CF, DF, "4.00", pending=True, timeout_seconds=1)).json()["transfers"][0]
    await session.execute(
        text("UPDATE transfers SET timeout_at = now() - interval '1 hour' WHERE id = :id"),
        {"id": pending["id"]},
    )
    other = await ledger.client.post("/v1/transfers/expire-pending", headers=CHENGDU)
    assert other.status_code == 200
    assert pending["id"] not in other.json()["voided"]
    state = (await ledger.client.get(f"/v1/transfers/{pending['id']}", headers=FINANCE)).json()["state"]
    assert state == "pending"
    own = await ledger.client.post(
        "/v1/transfers/expire-pending", headers=bearer(Role.finance, region="210500")
    )
    assert pending["id"] in own.json()["voided"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("value_date", "2010-02-01"),
        ("code", "pre_allocation"),
        ("cover_year", 2011),
        ("region_code", "210503"),
        ("payer_level", "province"),
    ],
)
async def test_a_reused_transfer_id_with_another_movement_is_refused(
    ledger, field: str, value: object
) -> None:
    """S4: a transfer id names one movement; the same id with the same accounts and amount but another
    value date, code, cover year, region or paying level is a 409, and the first stays as it was."""
    transfer_id = str(uuid.uuid4())
    base = {
        "id": transfer_id,
        "value_date": "2010-01-05",
        "code": "manual",
        "cover_year": 2010,
        "region_code": "210502",
        "payer_level": "city",
    }
    await ledger.transfer(CF, DF, "9.00", **base)
    again = await ledger.transfer(CF, DF, "9.00", expect=None, **{**base, field: value})
    assert again.status_code == 409, again.text
    assert field in again.json()["differing"]
    same = await ledger.transfer(CF, DF, "9.00", expect=201, **base)
    assert same.json()["transfers"][0]["id"] == transfer_id
    assert (await ledger.balance(DF))["posted"] == "9.00"


# --- closing a period against transfers in flight (real commits) ------------------------------------


async def _open_city(live_engine, city: str) -> dict[str, int]:
    async with AsyncSession(live_engine) as session, session.begin():
        await ledger_service.open_chart(session, city, [city[:4] + "02"])
        return {code: account.id for code, account in (await ledger_service.chart(session, city)).items()}


async def test_closing_a_period_waits_for_a_transfer_in_flight_and_later_ones_are_refused(
    live_engine, live_city
) -> None:
    """S4 / B§三: a transfer being written into 2010 holds the period lock shared; closing 2010 waits for
    it to commit (its 5.00 is in the closed year), and a transfer dated in 2010 afterwards is refused."""
    accounts = await _open_city(live_engine, live_city)
    city_finance, district = (
        accounts[f"city_finance:{live_city}"],
        accounts[f"district_finance:{live_city[:4]}02"],
    )

    def movement() -> NewTransfer:
        return NewTransfer(
            uuid.uuid4(),
            city_finance,
            district,
            Decimal("5.00"),
            "manual",
            date(2010, 6, 1),
        )

    writer = AsyncSession(live_engine)
    await writer.begin()
    await ledger_service.create_transfers(writer, [movement()], "writer")
    closer = AsyncSession(live_engine)

    async def close() -> bool:
        async with closer.begin():
            return await LedgerRepository(closer).close_period(live_city, 2010, "closer")

    closing = asyncio.create_task(close())
    await asyncio.sleep(0.5)
    assert not closing.done()  # waits for the transfer in flight
    await writer.commit()
    await writer.close()
    assert await asyncio.wait_for(closing, 10)
    await closer.close()
    async with AsyncSession(live_engine) as late, late.begin():
        with pytest.raises(PeriodClosed):
            await ledger_service.create_transfers(late, [movement()], "late")


async def test_the_year_end_settlement_takes_the_funding_lock_first(live_engine, live_city) -> None:
    """B§三 / S4: a supplementary allocation holds the funding lock; the year-end settlement of the same
    city and year waits for it instead of closing the period under it."""
    await _open_city(live_engine, live_city)
    holder = AsyncSession(live_engine)
    await holder.begin()
    await FundingRepository(holder).lock_funding(live_city, 2010)
    settler = AsyncSession(live_engine)
    principal = Principal(subject="finance", roles=frozenset({Role.finance}))

    async def settle() -> None:
        async with settler.begin():
            await funding_service.settle_year(
                settler, principal, city=live_city, year=2010, value_date=date(2010, 12, 31)
            )

    settling = asyncio.create_task(settle())
    await asyncio.sleep(0.5)
    assert not settling.done()
    await holder.rollback()
    await holder.close()
    with pytest.raises(Conflict, match="no assessment"):
        await asyncio.wait_for(settling, 10)
    await settler.close()
