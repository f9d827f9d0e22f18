"""Pure batch rules: which lines a batch takes, what it pays per line, when it is due (S3)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum


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


def takes_line(
    kind: BatchKind, category: str, line_kind: str, adjusts_version: int | None = None, paid_through: int = 0
) -> bool:
    """Which assessment lines a batch of ``kind`` pays.

    Premium writes version n + 1 as version n's lines carried unchanged plus adjustment lines for what
    changed (new +, exited −, reversal −, replacement +), so what a version says is due is the sum of
    ALL its lines, regular and adjustment. A regular batch therefore takes lines of both kinds; the
    annual assessment is paid in two ways: dibao people collectively (B§四(一)), marginal people in two
    instalments (B§四(二)). An adjustment batch takes only the adjustment lines made after the version
    already paid (``adjusts_version >= paid_through``): older adjustment lines are carried lines whose
    money an earlier batch already moved.
    """
    if kind is BatchKind.adjustment:
        return line_kind == "adjustment" and adjusts_version is not None and adjusts_version >= paid_through
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
