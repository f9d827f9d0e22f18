"""Funding flows (B§三, S1, S2): the city's pre-allocation from the 2009-10-31 head count, the
district/county share passed to civil affairs and into the fund, central and province transfers,
and the year-end settlement that trues everything up on the real numbers and closes the period."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from huimin_policy.enums import Payer
from huimin_settlement.batches import snapshots
from huimin_settlement.batches.repository import BatchRepository
from huimin_settlement.funding import rules
from huimin_settlement.funding.models import FundingRun
from huimin_settlement.funding.repository import FundingRepository
from huimin_settlement.ledger import rules as ledger_rules
from huimin_settlement.ledger import service as ledger
from huimin_settlement.ledger.models import Transfer
from huimin_settlement.ledger.repository import LedgerRepository
from huimin_settlement.ledger.rules import AccountType
from huimin_settlement.ledger.service import NewTransfer
from huimin_settlement.peers import PAYERS, EligibilityClient, PremiumClient
from huimin_shared import areas
from huimin_shared.auth import Principal
from huimin_shared.errors import Conflict

PAYER_FIELDS = ("central", "province", "city", "district_or_county")


async def pre_allocate(
    session: AsyncSession,
    premium: PremiumClient,
    eligibility: EligibilityClient,
    principal: Principal,
    *,
    city: str,
    year: int,
    assessment_id: str,
    assessment_version: int,
    head_count_on: date | None,
    value_date: date,
) -> tuple[FundingRun, list[Transfer]]:
    """B§三: head count on the base date × per-head subsidy of the annual assessment, per region and payer."""
    principal.ensure_covers(city)
    await ledger.chart(session, city)
    if await FundingRepository(session).run(city, year, "pre_allocation") is not None:
        raise Conflict(
            f"the {year} pre-allocation of {city} is already made; the year-end settlement trues it up"
        )
    base_date = head_count_on or rules.default_head_count_date(year)
    snapshot_id = await snapshots.ensure_snapshot(
        session, premium, city, assessment_id, assessment_version, "annual"
    )
    rates = _rates(await BatchRepository(session).groups(snapshot_id))
    # priced in 2010's age groups: a head counted in October 2009 is paid for as of 1 January 2010
    counts = await eligibility.head_counts(city, base_date, year)
    amounts: dict[tuple[str, str], Decimal] = defaultdict(lambda: Decimal("0.00"))
    priced: list[dict[str, Any]] = []
    for region, category, age_group, count in counts:
        if count <= 0 or not areas.contains(city, region):
            continue
        rate = rates.get((region, category, age_group)) or _fallback(rates, region, category, age_group)
        if rate is None:
            raise Conflict(
                f"no assessment line prices {category} {age_group} people in {region}; cannot pre-allocate "
                f"their {count} head count"
            )
        for payer, per_person in zip(PAYER_FIELDS, rate, strict=True):
            if per_person:
                amounts[(region, payer)] += per_person * count
        priced.append(
            {
                "region_code": region,
                "category": category,
                "age_group": age_group,
                "count": count,
                "per_head": {p: str(v) for p, v in zip(PAYER_FIELDS, rate, strict=True)},
            }
        )
    run_id = ledger_rules.derived_transfer_id("funding", city, year, "pre_allocation")
    basis = {
        "assessment": {"id": assessment_id, "version": assessment_version},
        "head_count_on": base_date.isoformat(),
        "groups": priced,
        "amounts": [
            {"region_code": r, "payer_level": p, "amount": str(a)} for (r, p), a in sorted(amounts.items())
        ],
    }
    transfers = await _book(
        session, principal, city, year, run_id, "pre_allocation", amounts, value_date, basis
    )
    run = await FundingRepository(session).run(city, year, "pre_allocation")
    if run is None:
        raise RuntimeError("run is missing")
    return run, transfers


def _rates(groups: list[Any]) -> dict[tuple[str, str, str], tuple[Decimal, ...]]:
    rates = {}
    for group in groups:
        if group.line_kind != "regular" or group.line_count == 0:
            continue
        rates[(group.region_code, group.category, group.age_group)] = tuple(
            rules.per_head(getattr(group, payer), group.line_count) for payer in PAYER_FIELDS
        )
    return rates


def _fallback(
    rates: dict[tuple[str, str, str], tuple[Decimal, ...]], region: str, category: str, age_group: str
) -> tuple[Decimal, ...] | None:
    """A group nobody in the assessment belongs to is priced like the same group in a region of the same
    level (district or county), because the shares differ by level only (B§三)."""
    level = areas.level_of(region)
    for (other, other_category, other_age), rate in sorted(rates.items()):
        if other_category == category and other_age == age_group and areas.level_of(other) is level:
            return rate
    return None


async def _book(
    session: AsyncSession,
    principal: Principal,
    city: str,
    year: int,
    run_id: uuid.UUID,
    kind: str,
    amounts: dict[tuple[str, str], Decimal],
    value_date: date,
    basis: dict[str, Any],
) -> list[Transfer]:
    accounts = await ledger.chart(session, city)
    if not await FundingRepository(session).insert_run(
        {
            "id": run_id,
            "city_code": city,
            "year": year,
            "kind": kind,
            "value_date": value_date,
            "basis": basis,
            "created_by": principal.subject,
        }
    ):
        raise Conflict(f"the {year} {kind} of {city} is already made")
    new: list[NewTransfer] = []
    for (region, payer), amount in sorted(amounts.items()):
        if amount == 0:
            continue
        into_fund = amount > 0
        for debit_type, credit_type, code in rules.legs(Payer(payer), into_fund):
            debit = accounts[ledger_rules.account_code(debit_type, _area(debit_type, city, region))]
            credit = accounts[ledger_rules.account_code(credit_type, _area(credit_type, city, region))]
            booked_code = (
                ledger_rules.TransferCode.year_end_settlement if kind == "year_end_settlement" else code
            )
            new.append(
                NewTransfer(
                    id=ledger_rules.derived_transfer_id("funding", run_id, region, payer, code.value),
                    debit_account_id=debit.id,
                    credit_account_id=credit.id,
                    amount=abs(amount),
                    code=booked_code.value,
                    value_date=value_date,
                    citation=ledger_rules.CITATIONS.get(booked_code),
                    memo=f"{kind} {year} {region} {payer}: {code.value}",
                    cover_year=year,
                    region_code=region,
                    payer_level=payer,
                    funding_run_id=run_id,
                )
            )
    return await ledger.create_transfers(session, new, principal.subject, principal)


def _area(account_type: AccountType, city: str, region: str) -> str:
    if account_type is AccountType.central_finance:
        return ledger_rules.CENTRAL_AREA
    if account_type is AccountType.province_finance:
        return areas.province_of(city)
    if account_type in (AccountType.district_finance, AccountType.civil_affairs):
        return region
    return city


async def runs(
    session: AsyncSession, principal: Principal, city: str, year: int
) -> list[tuple[FundingRun, list[Transfer]]]:
    """The city's funding runs of the year, each with its transfers."""
    principal.ensure_covers(city)
    return [
        (run, await ledger.transfers_of_run(session, run.id))
        for run in await FundingRepository(session).runs(city, year)
    ]


async def amounts_due(session: AsyncSession, city: str, year: int) -> dict[tuple[str, str], Decimal]:
    """What the latest version of every assessment of the year says is due, per region and payer:
    its regular lines plus its adjustment lines (changes against the carried lines)."""
    due: dict[tuple[str, str], Decimal] = defaultdict(lambda: Decimal("0.00"))
    for snapshot in await BatchRepository(session).latest_snapshots(city, year):
        for group in await BatchRepository(session).groups(snapshot.id):
            for payer in PAYER_FIELDS:
                due[(group.region_code, payer)] += getattr(group, payer)
    return dict(due)


async def supplement(
    session: AsyncSession, principal: Principal, *, city: str, year: int, value_date: date
) -> tuple[FundingRun, list[Transfer]]:
    """B§三 预拨 is an advance on the 2009-10-31 head count; when the assessments read since show more
    is due than has been paid into the fund (people certified after the base date, refunds), the city
    and districts/counties top it up along the same path, so no payment waits for the year end. Only
    shortfalls are paid; surpluses stay for the year-end settlement to return."""
    principal.ensure_covers(city)
    await ledger.chart(session, city)
    await FundingRepository(session).lock_funding(city, year)  # two top-ups at once must not both pay
    if await FundingRepository(session).run(city, year, "year_end_settlement") is not None:
        raise Conflict(f"the {year} period of {city} is closed by its year-end settlement")
    due = await amounts_due(session, city, year)
    funded = await FundingRepository(session).funded_into_fund(city, year)
    shortfalls = {key: amount for key, amount in rules.true_up(due, funded).items() if amount > 0}
    if not shortfalls:
        raise Conflict(
            f"nothing is owed: what was paid into the fund for {year} covers every assessment read so far",
            extra={"nothing_owed": True},
        )
    sequence = await FundingRepository(session).count_runs(city, year, "supplementary_allocation") + 1
    run_id = ledger_rules.derived_transfer_id("funding", city, year, "supplementary_allocation", sequence)
    basis = {
        "sequence": sequence,
        "rows": [
            {
                "region_code": r,
                "payer_level": p,
                "due": str(due.get((r, p), Decimal("0.00"))),
                "funded": str(funded.get((r, p), Decimal("0.00"))),
                "difference": str(amount),
            }
            for (r, p), amount in sorted(shortfalls.items())
        ],
    }
    transfers = await _book(
        session, principal, city, year, run_id, "supplementary_allocation", shortfalls, value_date, basis
    )
    run = await FundingRepository(session).get_run(run_id)
    return run, transfers


async def settle_year(
    session: AsyncSession, principal: Principal, *, city: str, year: int, value_date: date
) -> tuple[FundingRun, list[Transfer]]:
    """B§三 每年底市与县（区）财政统一结算: true up every region and payer, then close the period."""
    principal.ensure_covers(city)
    await ledger.chart(session, city)
    # First the funding lock (a top-up in flight finishes, or waits for the close and finds it
    # closed), then the period exclusively: no transfer is written into the year between reading
    # what was funded and closing it (S4).
    await FundingRepository(session).lock_funding(city, year)
    await LedgerRepository(session).lock_period(city, year, exclusive=True)
    if await FundingRepository(session).run(city, year, "year_end_settlement") is not None:
        raise Conflict(f"the {year} year-end settlement of {city} is already made and the period closed")
    if value_date.year != year:
        raise Conflict(f"the {year} year-end settlement is booked in {year}, not on {value_date.isoformat()}")
    pending = await LedgerRepository(session).pending_in_period(city, year)
    if pending:
        raise Conflict(f"{pending} transfers of {year} are still pending; post or void them before closing")
    due = await amounts_due(session, city, year)
    if not due:
        raise Conflict(f"no assessment of {city} for {year} has been read; nothing to settle on")
    funded = await FundingRepository(session).funded_into_fund(city, year)
    differences = rules.true_up(due, funded)
    run_id = ledger_rules.derived_transfer_id("funding", city, year, "year_end_settlement")
    basis = {
        "rows": [
            {
                "region_code": r,
                "payer_level": p,
                "due": str(due.get((r, p), Decimal("0.00"))),
                "funded": str(funded.get((r, p), Decimal("0.00"))),
                "difference": str(differences.get((r, p), Decimal("0.00"))),
            }
            for r, p in sorted(set(due) | set(funded))
        ]
    }
    transfers = await _book(
        session, principal, city, year, run_id, "year_end_settlement", differences, value_date, basis
    )
    await LedgerRepository(session).close_period(city, year, principal.subject)
    run = await FundingRepository(session).run(city, year, "year_end_settlement")
    if run is None:
        raise RuntimeError("run is missing")
    return run, transfers


__all__ = ["PAYERS"]
