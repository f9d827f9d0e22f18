"""Hostile input on the ledger (issue 11): balances bounded where money is posted and always readable, a
missing corrected transfer is a 422 naming the field, NUL characters and 64-bit overflows are 422s."""

from __future__ import annotations

import uuid

from sqlalchemy import text

from huimin_shared.auth import Role
from huimin_shared.testing import bearer

FINANCE = bearer(Role.finance, subject="finance-clerk")
CITY = "city_finance:210500"
DISTRICT = "district_finance:210502"
MAX = "999999999999.99"


async def test_a_balance_cannot_be_taken_past_the_largest_amount_and_accounts_still_read(ledger) -> None:
    """A legal transfer of 999,999,999,999.99 then one more debit used to make GET /v1/accounts answer 500."""
    await ledger.transfer(CITY, DISTRICT, MAX)
    refused = await ledger.transfer(CITY, DISTRICT, "0.01", expect=409)
    assert refused.json()["type"].endswith("/balance-limit")
    assert refused.json()["account_id"] == ledger.accounts[CITY]
    listing = await ledger.client.get("/v1/accounts?city=210500", headers=FINANCE)
    assert listing.status_code == 200, listing.text
    assert (await ledger.balance(CITY))["posted"] == "-" + MAX
    assert (await ledger.balance(DISTRICT))["posted"] == MAX
    # Money flowing back is allowed: it brings the balances towards zero.
    await ledger.transfer(DISTRICT, CITY, "0.01")


async def test_pending_reservations_are_bounded_too(ledger) -> None:
    await ledger.transfer(CITY, DISTRICT, MAX, pending=True)
    await ledger.transfer(CITY, DISTRICT, "0.01", pending=True, expect=409)


async def test_stored_balances_beyond_an_amount_still_read(ledger, session) -> None:
    """Reads never fail on stored data, whatever an older version let through (NUMERIC(16, 2))."""
    await session.execute(
        text("UPDATE balances SET posted = -1500000000000.00 WHERE account_id = :id"),
        {"id": ledger.accounts[CITY]},
    )
    listing = await ledger.client.get("/v1/accounts?city=210500", headers=FINANCE)
    assert listing.status_code == 200, listing.text
    detail = await ledger.client.get(f"/v1/accounts/{ledger.accounts[CITY]}", headers=FINANCE)
    assert detail.status_code == 200, detail.text
    assert detail.json()["balance"]["posted"] == "-1500000000000.00"


async def test_correcting_a_transfer_that_does_not_exist_is_422_naming_the_field(ledger) -> None:
    response = await ledger.transfer(
        CITY, DISTRICT, "1.00", expect=422, code="adjustment", corrects_transfer_id=str(uuid.uuid4())
    )
    assert response.json()["errors"][0]["field"] == "body.transfers.0.corrects_transfer_id"
    original = (await ledger.transfer(CITY, DISTRICT, "2.00")).json()["transfers"][0]
    await ledger.transfer(DISTRICT, CITY, "1.00", code="adjustment", corrects_transfer_id=original["id"])


async def test_nul_characters_and_huge_integers_are_422_not_500(ledger) -> None:
    client = ledger.client
    memo = await ledger.transfer(CITY, DISTRICT, "1.00", expect=422, memo="a\u0000b")
    assert memo.json()["errors"][0]["field"] == "body.transfers.0.memo"
    for url, field in [
        ("/v1/accounts/99999999999999999999", "path.account_id"),
        ("/v1/accounts/1/entries?after=99999999999999999999", "query.after"),
        ("/v1/transfers?after=%00", "query.after"),
    ]:
        response = await client.get(url, headers=FINANCE)
        assert response.status_code == 422, (url, response.text)
        assert response.json()["errors"][0]["field"] == field
