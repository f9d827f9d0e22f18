"""Pure funding rules (B§三): the pre-allocation from a head count, the legs money takes to the
medical assistance fund, and the year-end true-up."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from huimin_policy.enums import Payer
from huimin_settlement.ledger.rules import AccountType, TransferCode
from huimin_shared.money import to_yuan

Leg = tuple[AccountType, AccountType, TransferCode]


def default_head_count_date(year: int) -> date:
    """E7 / B§三: the funding base is the head count at the end of October before the cover year (2009-10-31)."""
    return date(year - 1, 10, 31)


def per_head(total: Decimal, count: int) -> Decimal:
    """The per-person amount of a group of identical assessment lines (rounded half up if they ever differ)."""
    return to_yuan(total / count) if count else Decimal("0.00")


def legs(payer: Payer, into_fund: bool) -> list[Leg]:
    """The path money of ``payer`` takes into the medical assistance fund (S1, S2), or back out of it.

    City money: city finance pre-allocates to district/county finance, which passes it to civil affairs
    at the same level, which pays it into the fund. District/county money starts at district/county
    finance. Central and province money arrive as special transfers straight into the fund.
    """
    if payer is Payer.city:
        path = [
            (AccountType.city_finance, AccountType.district_finance, TransferCode.pre_allocation),
            (AccountType.district_finance, AccountType.civil_affairs, TransferCode.local_share),
            (AccountType.civil_affairs, AccountType.medical_assistance_fund, TransferCode.fund_deposit),
        ]
    elif payer is Payer.district_or_county:
        path = [
            (AccountType.district_finance, AccountType.civil_affairs, TransferCode.local_share),
            (AccountType.civil_affairs, AccountType.medical_assistance_fund, TransferCode.fund_deposit),
        ]
    elif payer is Payer.central:
        path = [
            (AccountType.central_finance, AccountType.medical_assistance_fund, TransferCode.central_transfer)
        ]
    else:
        path = [
            (
                AccountType.province_finance,
                AccountType.medical_assistance_fund,
                TransferCode.province_transfer,
            )
        ]
    if into_fund:
        return path
    return [(credit, debit, code) for debit, credit, code in reversed(path)]


def true_up(
    due: dict[tuple[str, str], Decimal], funded: dict[tuple[str, str], Decimal]
) -> dict[tuple[str, str], Decimal]:
    """B§三 year-end settlement: per (region, payer), what is still owed (+) or to be returned (−)."""
    keys: Iterable[tuple[str, str]] = sorted(set(due) | set(funded))
    result = {}
    for key in keys:
        difference = due.get(key, Decimal("0.00")) - funded.get(key, Decimal("0.00"))
        if difference != 0:
            result[key] = difference
    return result
