"""The double-entry ledger: accounts, two entries per transfer, guarded balances, two-phase transfers,
idempotency keys, reversals and the database's own guarantees (POLICY.md S1, S4)."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from huimin_settlement.ledger import rules
from huimin_settlement.ledger import service as ledger_service
from huimin_settlement.ledger.repository import LedgerRepository
from huimin_settlement.ledger.service import NewTransfer
from huimin_shared.auth import Role
from huimin_shared.testing import bearer

FINANCE = bearer(Role.finance, subject="finance-clerk")


async def in_savepoint(session, *statements: tuple[str, dict[str, object]]) -> None:
    """Run raw SQL the way a careless operator would, inside a savepoint the test can survive."""
    async with session.begin_nested():
        for sql, params in statements:
            await session.execute(text(sql), params)


MAF = "medical_assistance_fund:210500"
RIF = "resident_insurance_fund:210500"


async def test_chart_opens_every_account_of_the_money_path_once(ledger, client) -> None:
    """S1, S2: fund accounts per city, finance at four levels, civil affairs per district/county, a payee."""
    accounts = ledger.accounts
    assert (
        len(accounts) == 7 + 2 * 6
    )  # central, province, city, MAF, RIF, payee, refund suspense + finance and civil affairs ×6
    assert {
        "central_finance:100000",
        "province_finance:210000",
        "city_finance:210500",
        MAF,
        RIF,
        "external_payee:210500",
        "district_finance:210521",
        "civil_affairs:210522",
    } <= set(accounts)
    listing = (await client.get("/v1/accounts?city=210500", headers=FINANCE)).json()["items"]
    guarded = {item["code"] for item in listing if item["guarded"]}
    assert {MAF, RIF, "civil_affairs:210502"} <= guarded
    assert "city_finance:210500" not in guarded
    assert all(item["currency"] == "CNY" for item in listing)
    again = await client.post("/v1/ledger/charts", json={"city": "210500"}, headers=FINANCE)
    assert {item["code"]: item["id"] for item in again.json()["items"]} == accounts


async def test_subsidy_moves_from_medical_assistance_fund_to_resident_insurance_fund(ledger) -> None:
    """N§二 / S1: 医疗救助基金专账 → 居民医保基金专账, two entries summing to zero."""
    await ledger.fund(MAF, "1300.00")
    response = await ledger.transfer(
        MAF,
        RIF,
        "130.00",
        code="assistance_payment",
        cover_year=2010,
        payer_level="city",
        region_code="210502",
        category="dibao",
    )
    (transfer,) = response.json()["transfers"]
    assert transfer["state"] == "posted"
    assert transfer["citation"] == "民发〔2007〕156号 N§二"
    detail = (await ledger.client.get(f"/v1/transfers/{transfer['id']}", headers=FINANCE)).json()
    assert sorted(Decimal(e["amount"]) for e in detail["entries"]) == [Decimal("-130.00"), Decimal("130.00")]
    assert detail["history"][0]["to_state"] == "posted"
    assert (await ledger.balance(MAF))["posted"] == "1170.00"
    assert (await ledger.balance(RIF))["posted"] == "130.00"


async def test_guarded_account_is_never_overdrawn_and_a_refusal_writes_nothing(ledger) -> None:
    """S4: a guarded account cannot go below zero; the refused request leaves no trace."""
    await ledger.fund(MAF, "100.00")
    refused = await ledger.transfer(MAF, RIF, "100.01", expect=409)
    assert refused.json()["type"].endswith("/insufficient-funds")
    assert "short by 0.01" in refused.json()["detail"]
    assert (await ledger.balance(MAF))["posted"] == "100.00"
    assert (await ledger.balance(RIF))["posted"] == "0.00"


async def test_several_transfers_in_one_request_succeed_or_fail_together(ledger) -> None:
    """S4: the second transfer overdraws, so the first is not written either."""
    await ledger.fund(MAF, "50.00")
    body = {
        "transfers": [
            {
                "debit_account_id": ledger.accounts[MAF],
                "credit_account_id": ledger.accounts[RIF],
                "amount": "40.00",
            },
            {
                "debit_account_id": ledger.accounts[MAF],
                "credit_account_id": ledger.accounts[RIF],
                "amount": "10.01",
            },
        ]
    }
    response = await ledger.client.post("/v1/transfers", json=body, headers=ledger.key())
    assert response.status_code == 409, response.text
    assert (await ledger.balance(MAF))["posted"] == "50.00"
    body["transfers"][1]["amount"] = "10.00"
    response = await ledger.client.post("/v1/transfers", json=body, headers=ledger.key())
    assert response.status_code == 201, response.text
    assert (await ledger.balance(MAF))["posted"] == "0.00"
    assert (await ledger.balance(RIF))["posted"] == "50.00"


async def test_pending_transfer_reserves_then_posts_or_voids(ledger) -> None:
    """Two-phase: a pending amount counts against the available balance until posted or voided."""
    await ledger.fund(MAF, "100.00")
    pending = (await ledger.transfer(MAF, RIF, "70.00", pending=True)).json()["transfers"][0]
    assert pending["state"] == "pending"
    assert await ledger.balance(MAF) == {
        "posted": "100.00",
        "pending_debits": "70.00",
        "pending_credits": "0.00",
        "available": "30.00",
    }
    assert (await ledger.balance(RIF))["pending_credits"] == "70.00"
    await ledger.transfer(MAF, RIF, "30.01", expect=409)  # the reservation counts
    posted = await ledger.client.post(f"/v1/transfers/{pending['id']}/post", headers=ledger.key())
    assert posted.status_code == 200, posted.text
    assert posted.json()["state"] == "posted"
    assert await ledger.balance(MAF) == {
        "posted": "30.00",
        "pending_debits": "0.00",
        "pending_credits": "0.00",
        "available": "30.00",
    }
    again = await ledger.client.post(f"/v1/transfers/{pending['id']}/void", json={}, headers=ledger.key())
    assert again.status_code == 409, again.text
    second = (await ledger.transfer(MAF, RIF, "30.00", pending=True)).json()["transfers"][0]
    voided = await ledger.client.post(
        f"/v1/transfers/{second['id']}/void", json={"reason": "bank refused"}, headers=ledger.key()
    )
    assert voided.json()["state"] == "voided"
    assert (await ledger.balance(MAF))["available"] == "30.00"
    assert (await ledger.balance(RIF))["posted"] == "70.00"


async def test_same_key_same_body_replays_and_other_body_is_refused(ledger) -> None:
    """S4, idempotent retry after a client time-out: one effect, the same answer."""
    await ledger.fund(MAF, "100.00")
    headers = ledger.key()
    first = await ledger.transfer(MAF, RIF, "25.00", headers=headers)
    retry = await ledger.transfer(MAF, RIF, "25.00", headers=headers)
    assert retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert first.headers["Idempotent-Replayed"] == "false"
    assert (await ledger.balance(MAF))["posted"] == "75.00"
    other = await ledger.transfer(MAF, RIF, "26.00", headers=headers, expect=409)
    assert other.json()["type"].endswith("/idempotency-key-reused")


async def test_a_refused_request_is_refused_the_same_way_on_retry(ledger) -> None:
    """S4: failures are stored with the key, so a retry cannot turn a refusal into a payment."""
    await ledger.fund(MAF, "10.00")
    headers = ledger.key()
    refused = await ledger.transfer(MAF, RIF, "20.00", headers=headers, expect=409)
    await ledger.fund(MAF, "10.00")
    retry = await ledger.transfer(MAF, RIF, "20.00", headers=headers, expect=409)
    assert retry.json() == refused.json()
    assert (await ledger.balance(MAF))["posted"] == "20.00"


async def test_transfer_without_idempotency_key_or_with_float_amount_is_422(ledger) -> None:
    """S4: every money-moving POST carries a key; amounts are decimal strings (P6)."""
    body = {
        "transfers": [
            {
                "debit_account_id": ledger.accounts[MAF],
                "credit_account_id": ledger.accounts[RIF],
                "amount": "1.00",
            }
        ]
    }
    missing = await ledger.client.post("/v1/transfers", json=body, headers=FINANCE)
    assert missing.status_code == 422
    assert any(e["field"] == "header.Idempotency-Key" for e in missing.json()["errors"])
    body["transfers"][0]["amount"] = 1.5
    floated = await ledger.client.post("/v1/transfers", json=body, headers=ledger.key())
    assert floated.status_code == 422
    assert floated.json()["errors"][0]["field"] == "body.transfers.0.amount"
    body["transfers"][0]["amount"] = "0.00"
    zero = await ledger.client.post("/v1/transfers", json=body, headers=ledger.key())
    assert zero.status_code == 422
    assert "above zero" in zero.json()["errors"][0]["reason"]


async def test_only_finance_moves_money(ledger) -> None:
    """S1: finance (财政部门) moves the money; an auditor reads."""
    body = {
        "transfers": [
            {
                "debit_account_id": ledger.accounts[MAF],
                "credit_account_id": ledger.accounts[RIF],
                "amount": "1.00",
            }
        ]
    }
    auditor = bearer(Role.auditor)
    response = await ledger.client.post(
        "/v1/transfers", json=body, headers={**auditor, "Idempotency-Key": "k-aud"}
    )
    assert response.status_code == 403
    assert (await ledger.client.get("/v1/accounts?city=210500", headers=auditor)).status_code == 200


async def test_reversal_undoes_a_transfer_and_leaves_its_entries(ledger) -> None:
    """S4: entries are append-only; a reversing transfer points to the original, once."""
    await ledger.fund(MAF, "100.00")
    original = (await ledger.transfer(MAF, RIF, "60.00")).json()["transfers"][0]
    reversal = await ledger.client.post(
        f"/v1/transfers/{original['id']}/reverse", json={}, headers=ledger.key()
    )
    assert reversal.status_code == 201, reversal.text
    assert reversal.json()["reverses_transfer_id"] == original["id"]
    assert reversal.json()["debit_account_id"] == ledger.accounts[RIF]
    assert (await ledger.balance(MAF))["posted"] == "100.00"
    assert (await ledger.balance(RIF))["posted"] == "0.00"
    detail = (await ledger.client.get(f"/v1/transfers/{original['id']}", headers=FINANCE)).json()
    assert len(detail["entries"]) == 2
    twice = await ledger.client.post(f"/v1/transfers/{original['id']}/reverse", json={}, headers=ledger.key())
    assert twice.status_code == 409


async def test_entries_refuse_update_and_delete(ledger, session) -> None:
    """S4: the database itself keeps entries append-only."""
    await ledger.fund(MAF, "10.00")
    for statement in ("UPDATE entries SET amount = amount * 2", "DELETE FROM entries"):
        with pytest.raises(DBAPIError, match="append-only"):
            await in_savepoint(session, (statement, {}))


INSERT_TRANSFER = (
    "INSERT INTO transfers (id, city_code, debit_account_id, credit_account_id, amount, state, code, value_date, "
    "period, created_by) VALUES (gen_random_uuid(), '210500', :d, :c, :amount, 'pending', 'manual', :on, :period, 't')"
)


async def test_database_refuses_unbalanced_entries_overdraft_and_non_positive_amounts(
    ledger, session
) -> None:
    """S4: a deferred trigger proves entries sum to zero per transfer; CHECKs guard amounts and balances."""
    await ledger.fund(MAF, "10.00")
    transfer_id = (await ledger.transfer(MAF, RIF, "5.00")).json()["transfers"][0]["id"]
    unbalanced = (
        "INSERT INTO entries (transfer_id, account_id, amount) VALUES (:t, :a, 1)",
        {"t": transfer_id, "a": ledger.accounts[RIF]},
    )
    with pytest.raises(DBAPIError, match="sum to"):
        await in_savepoint(session, ("SET CONSTRAINTS ALL IMMEDIATE", {}), unbalanced)
    await session.execute(text("SET CONSTRAINTS ALL DEFERRED"))
    overdraft = ("UPDATE balances SET posted = -0.01 WHERE account_id = :a", {"a": ledger.accounts[MAF]})
    with pytest.raises(DBAPIError, match="guarded_available_not_negative"):
        await in_savepoint(session, overdraft)
    with pytest.raises(DBAPIError, match="immutable"):
        await in_savepoint(session, ("UPDATE transfers SET amount = 6.00 WHERE id = :t", {"t": transfer_id}))
    zero = {
        "d": ledger.accounts[MAF],
        "c": ledger.accounts[RIF],
        "amount": 0,
        "on": date(2026, 1, 1),
        "period": 2026,
    }
    with pytest.raises(DBAPIError, match="amount_positive"):
        await in_savepoint(session, (INSERT_TRANSFER, zero))


async def test_closed_period_refuses_back_dated_transfers_and_takes_adjustments_in_the_open_one(
    ledger, session
) -> None:
    """S4 / B§三: after year-end settlement, 2010 is closed; corrections go into 2011 and point back."""
    await ledger.fund(MAF, "100.00", value_date="2010-06-01")
    original = (await ledger.transfer(MAF, RIF, "40.00", value_date="2010-06-02")).json()["transfers"][0]
    assert await LedgerRepository(session).close_period("210500", 2010, "test")
    refused = await ledger.transfer(MAF, RIF, "1.00", value_date="2010-12-31", expect=409)
    assert refused.json()["type"].endswith("/period-closed")
    back_dated = {
        "d": ledger.accounts[MAF],
        "c": ledger.accounts[RIF],
        "amount": 1,
        "on": date(2010, 12, 31),
        "period": 2010,
    }
    with pytest.raises(DBAPIError, match="closed"):
        await in_savepoint(session, (INSERT_TRANSFER, back_dated))
    adjustment = await ledger.transfer(
        RIF, MAF, "5.00", value_date="2011-01-05", code="adjustment", corrects_transfer_id=original["id"]
    )
    assert adjustment.json()["transfers"][0]["period"] == 2011
    assert adjustment.json()["transfers"][0]["corrects_transfer_id"] == original["id"]


async def test_pending_transfer_past_its_deadline_is_voided(ledger, session) -> None:
    """Two-phase: a pending transfer neither posted nor voided by its deadline is voided."""
    await ledger.fund(MAF, "100.00")
    expired = NewTransfer(
        id=rules.derived_transfer_id("test-expiry"),
        debit_account_id=ledger.accounts[MAF],
        credit_account_id=ledger.accounts[RIF],
        amount=Decimal("80.00"),
        code="manual",
        value_date=date(2026, 1, 1),
        pending=True,
        timeout_at=datetime.now(UTC) - timedelta(seconds=1),
    )
    await ledger_service.create_transfers(session, [expired], "test")
    assert (await ledger.balance(MAF))["available"] == "20.00"
    refused = await ledger.client.post(f"/v1/transfers/{expired.id}/post", headers=ledger.key())
    assert refused.status_code == 409
    assert "deadline" in refused.json()["detail"]
    sweep = await ledger.client.post("/v1/transfers/expire-pending", headers=FINANCE)
    assert sweep.json() == {"voided": [str(expired.id)]}
    assert (await ledger.balance(MAF))["available"] == "100.00"


async def test_expire_pending_sweeps_overdue_reservations(ledger, session) -> None:
    """Two-phase: the sweep voids every pending transfer past its deadline and releases the amounts."""
    await ledger.fund(MAF, "100.00")
    ids = [rules.derived_transfer_id("sweep", n) for n in range(3)]
    await ledger_service.create_transfers(
        session,
        [
            NewTransfer(
                id=i,
                debit_account_id=ledger.accounts[MAF],
                credit_account_id=ledger.accounts[RIF],
                amount=Decimal("10.00"),
                code="manual",
                value_date=date(2026, 1, 1),
                pending=True,
                timeout_at=datetime.now(UTC) - timedelta(minutes=1),
            )
            for i in ids
        ],
        "test",
    )
    sweep = await ledger.client.post("/v1/transfers/expire-pending", headers=FINANCE)
    assert sorted(sweep.json()["voided"]) == sorted(str(i) for i in ids)
    assert await ledger.balance(MAF) == {
        "posted": "100.00",
        "pending_debits": "0.00",
        "pending_credits": "0.00",
        "available": "100.00",
    }
