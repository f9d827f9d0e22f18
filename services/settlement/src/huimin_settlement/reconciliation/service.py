"""Reconciliation (S4): what the assessments say is due against what the ledger moved, per flow,
region, category and paying level — every difference listed — and the ledger's own proofs."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from huimin_settlement.batches.repository import BatchRepository
from huimin_settlement.ledger.repository import LedgerRepository
from huimin_settlement.reconciliation.repository import ReconciliationRepository
from huimin_settlement.refunds import service as refunds
from huimin_shared import areas

PAYERS = ("central", "province", "city", "district_or_county")
ZERO = Decimal("0.00")


async def reconcile(session: AsyncSession, city: str, year: int) -> dict[str, Any]:
    due: dict[tuple[str, str, str, str], Decimal] = defaultdict(lambda: ZERO)
    assessments = []
    for snapshot in await BatchRepository(session).latest_snapshots(city, year):
        assessments.append(
            {
                "id": snapshot.assessment_id,
                "version": snapshot.version,
                "kind": snapshot.kind,
                "line_count": snapshot.line_count,
                "total": snapshot.total,
            }
        )
        flow = "refund" if snapshot.kind == "refunds" else "resident_insurance_fund"
        # Due = every line of the latest version read: premium carries the earlier lines unchanged
        # (regular) and states what changed as adjustment lines (new +, exited −, reversal −,
        # replacement +), so regular + adjustment lines add up to what the version says is due.
        for group in await BatchRepository(session).groups(snapshot.id):
            for payer in PAYERS:
                due[(flow, group.region_code, group.category, payer)] += getattr(group, payer)
    moved = await ReconciliationRepository(session).moved_by_batches(city, year)
    rows: list[dict[str, Any]] = []
    for key in sorted(set(due) | set(moved)):
        expected, actual = due.get(key, ZERO), moved.get(key, ZERO)
        if expected == 0 and actual == 0:
            continue
        flow, region, category, payer = key
        rows.append(
            {
                "flow": flow,
                "region_code": region,
                "category": category,
                "payer_level": payer,
                "due": expected,
                "moved": actual,
                "difference": actual - expected,
            }
        )
    differences = [row for row in rows if row["difference"] != 0]
    suspense = await refunds.suspense(session, city, year)
    entries_total = await LedgerRepository(session).entries_total(city)
    unbalanced = await LedgerRepository(session).unbalanced_transfers(city)
    mismatched = await LedgerRepository(session).balance_mismatches(city)
    proofs = {
        "entries_total": entries_total,
        "entries_sum_to_zero": entries_total == 0 and not unbalanced,
        "unbalanced_transfers": [{"transfer_id": str(t), "sum": s} for t, s in unbalanced],
        "balances_equal_entries": not mismatched,
        "mismatched_accounts": mismatched,
    }
    total_due = sum((row["due"] for row in rows), ZERO)
    total_moved = sum((row["moved"] for row in rows), ZERO)
    return {
        "city": city,
        "year": year,
        "assessments": assessments,
        "rows": rows,
        "differences": differences,
        "refunds_in_suspense": suspense,
        "totals": {"due": total_due, "moved": total_moved, "difference": total_moved - total_due},
        "proofs": proofs,
        "balanced": not differences and proofs["entries_sum_to_zero"] and proofs["balances_equal_entries"],
    }


async def fiscal_subsidy(session: AsyncSession, region: str, year: int) -> dict[str, Any]:
    city = areas.city_of(region) if areas.level_of(region) is not areas.AreaLevel.city else region
    prefix = areas.prefix_of(region)
    to_fund = await ReconciliationRepository(session).moved_to_insurance_fund(city, prefix, year)
    refunded = await ReconciliationRepository(session).refunded(city, prefix, year)

    def amounts(moved: dict[str, Decimal]) -> dict[str, Decimal]:
        by_payer = {payer: moved.get(payer, ZERO) for payer in PAYERS}
        return {**by_payer, "total": sum(by_payer.values(), ZERO)}

    both = {p: to_fund.get(p, ZERO) + refunded.get(p, ZERO) for p in PAYERS}
    return {
        "region": region,
        "year": year,
        "moved": amounts(both),
        "to_insurance_fund": amounts(to_fund),
        "refunded": amounts(refunded),
    }
