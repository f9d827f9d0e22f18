"""Pure batch rules: which lines a batch takes, what it pays per line, when it is due (S3)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

from huimin_shared.money import from_fen


class BatchKind(StrEnum):
    dibao_collective = "dibao_collective"  # B§四(一) 集体投保, by 15 January of the cover year
    marginal_instalment = "marginal_instalment"  # B§四(二) two instalments, 15 January and 10 July
    new_entrants = "new_entrants"  # B§四(三) certified at year end, by 15 January of the next year
    refunds = "refunds"  # B§四(四) refunded once, at year end
    adjustment = "adjustment"  # a new assessment version's adjustment lines


class BatchState(StrEnum):
    prepared = "prepared"
    approved = "approved"
    reserved = "reserved"  # transfers pending: money reserved, awaiting posting (or the bank)
    executed = "executed"
    cancelled = "cancelled"


ASSESSMENT_KIND: dict[BatchKind, str | None] = {
    BatchKind.dibao_collective: "annual",
    BatchKind.marginal_instalment: "annual",
    BatchKind.new_entrants: "new_entrants",
    BatchKind.refunds: "refunds",
    BatchKind.adjustment: None,  # same kind as the batch it adjusts
}

CLAUSE: dict[BatchKind, str] = {
    BatchKind.dibao_collective: "本政办发〔2009〕130号 B§四(一)",
    BatchKind.marginal_instalment: "本政办发〔2009〕130号 B§四(二)",
    BatchKind.new_entrants: "本政办发〔2009〕130号 B§四(三)",
    BatchKind.refunds: "本政办发〔2009〕130号 B§四(四)",
    BatchKind.adjustment: "本政办发〔2009〕130号 B§三",
}


def due_on(kind: BatchKind, year: int, instalment: int = 0) -> date:
    """The statutory deadline of a batch (S3, B§四)."""
    if kind is BatchKind.dibao_collective:
        return date(year, 1, 15)
    if kind is BatchKind.marginal_instalment:
        return date(year, 1, 15) if instalment == 1 else date(year, 7, 10)
    if kind is BatchKind.new_entrants:
        return date(year + 1, 1, 15)
    return date(year, 12, 31)  # refunds once at year end; adjustments before the year-end settlement


def takes_line(kind: BatchKind, category: str, line_kind: str) -> bool:
    """Which assessment lines a batch of ``kind`` pays.

    The annual assessment is paid in two ways: dibao people collectively (B§四(一)), marginal people
    in two instalments (B§四(二)). Regular batches take regular lines; adjustment batches take the
    adjustment lines of a newer version.
    """
    if kind is BatchKind.adjustment:
        return line_kind == "adjustment"
    if line_kind != "regular":
        return False
    if kind is BatchKind.dibao_collective:
        return category != "marginal"
    if kind is BatchKind.marginal_instalment:
        return category == "marginal"
    return True


def halve_fen(fen: int, instalment: int) -> int:
    """Instalment 1 or 2 of an amount in fen: halved, the odd fen in the first (P6: parts add up)."""
    second = abs(fen) // 2
    part = abs(fen) - second if instalment == 1 else second
    return part if fen >= 0 else -part


def instalment_share(
    by_payer: tuple[Decimal, Decimal, Decimal, Decimal], instalment: int
) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """What instalment 1 or 2 pays of a marginal line (B§四(二)): each payer's part halved to the fen,
    the odd fen in the first instalment, so the two instalments add up to the whole (P6)."""
    halves = [from_fen(halve_fen(int(amount * 100), instalment)) for amount in by_payer]
    return (halves[0], halves[1], halves[2], halves[3])


def line_amounts_fen(
    kind: BatchKind, instalment: int, by_payer: tuple[int, int, int, int]
) -> tuple[int, int, int, int]:
    """What a batch of ``kind`` pays of a line, per payer, in fen (the bulk path's arithmetic)."""
    if kind is BatchKind.marginal_instalment:
        return (
            halve_fen(by_payer[0], instalment),
            halve_fen(by_payer[1], instalment),
            halve_fen(by_payer[2], instalment),
            halve_fen(by_payer[3], instalment),
        )
    return by_payer
