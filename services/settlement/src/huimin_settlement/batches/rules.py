"""Pure batch rules: which lines a batch takes, what it pays per line, how lines are numbered, when a
batch is due (S3) — and ``ByPayer``, the four payers' parts of an amount, in whole fen."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from huimin_shared.money import from_fen, to_fen

PAYERS = ("central", "province", "city", "district_or_county")
BLOCK = 10_000_000  # line numbers per region and category of a batch
MAX_BLOCKS = 214  # keeps line_no within a 32-bit integer (214 × 10,000,000 + 9,999,999 < 2³¹)


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


@dataclass(frozen=True, slots=True)
class ByPayer:
    """What each paying level bears of an amount, in whole fen (exact, and fast on bulk paths)."""

    central: int = 0
    province: int = 0
    city: int = 0
    district_or_county: int = 0

    @classmethod
    def of_yuan(cls, *parts: Decimal | str) -> ByPayer:
        """From yuan amounts in ``PAYERS`` order (Decimal or decimal text, at most two places)."""
        central, province, city, district = (to_fen(part) for part in parts)
        return cls(central, province, city, district)

    @classmethod
    def of_fen(cls, parts: Iterable[int]) -> ByPayer:
        central, province, city, district = parts
        return cls(central, province, city, district)

    @property
    def fen(self) -> tuple[int, int, int, int]:
        return (self.central, self.province, self.city, self.district_or_county)

    @property
    def total_fen(self) -> int:
        return self.central + self.province + self.city + self.district_or_county

    @property
    def total(self) -> Decimal:
        return from_fen(self.total_fen)

    def yuan(self) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        """The parts in yuan, ``PAYERS`` order."""
        c, p, ci, d = (from_fen(fen) for fen in self.fen)
        return (c, p, ci, d)

    def by_name(self) -> dict[str, Decimal]:
        return dict(zip(PAYERS, self.yuan(), strict=True))

    def __add__(self, other: ByPayer) -> ByPayer:
        return ByPayer.of_fen(a + b for a, b in zip(self.fen, other.fen, strict=True))

    def __sub__(self, other: ByPayer) -> ByPayer:
        return ByPayer.of_fen(a - b for a, b in zip(self.fen, other.fen, strict=True))

    def split(self, instalment: int) -> ByPayer:
        """Instalment 1 or 2 of every part: halved to the fen, the odd fen in the first (B§四(二), P6)."""
        return ByPayer.of_fen(halve_fen(fen, instalment) for fen in self.fen)

    def odd_fen_bits(self) -> int:
        """Which parts have an odd fen: bit 0 central, 1 province, 2 city, 3 district/county (the record
        instalment 1 keeps so instalment 2 is its lines less those fen, migration 0004)."""
        c, p, ci, d = self.fen
        return (c & 1) | (p & 1) << 1 | (ci & 1) << 2 | (d & 1) << 3

    def less_odd_fen(self, bits: int) -> ByPayer:
        """Instalment 2 from instalment 1's parts and their odd-fen bits (each odd fen back, toward zero)."""
        return ByPayer.of_fen(
            fen - (1 if fen > 0 else -1 if fen < 0 else 0) * ((bits >> i) & 1)
            for i, fen in enumerate(self.fen)
        )


ZERO = ByPayer()


@dataclass(frozen=True, slots=True)
class LineTotals:
    """A line count and what the lines' payers bear: the control totals of a batch, a group or a stream."""

    count: int = 0
    by_payer: ByPayer = ZERO

    @property
    def total(self) -> Decimal:
        return self.by_payer.total

    def __add__(self, other: LineTotals) -> LineTotals:
        return LineTotals(self.count + other.count, self.by_payer + other.by_payer)


def line_numbers(blocks: Iterable[tuple[str, str]]) -> Iterator[int]:
    """The line number of each line, given its (region, category) in stream order: lines of one region and
    category share a block of ``BLOCK`` numbers (block × BLOCK + n, n from 1), blocks numbered in the order
    they first appear — so each transfer covers one contiguous range without sorting the lines."""
    seen: dict[tuple[str, str], list[int]] = {}
    for key in blocks:
        block = seen.get(key)
        if block is None:
            if len(seen) >= MAX_BLOCKS:
                raise ValueError("more region and category groups than a batch can number")
            block = seen[key] = [len(seen) * BLOCK]
        block[0] += 1
        yield block[0]


def halve_fen(fen: int, instalment: int) -> int:
    """Instalment 1 or 2 of an amount in fen: halved, the odd fen in the first (P6: parts add up)."""
    second = abs(fen) // 2
    part = abs(fen) - second if instalment == 1 else second
    return part if fen >= 0 else -part


def line_amounts_fen(
    kind: BatchKind, instalment: int, by_payer: tuple[int, int, int, int]
) -> tuple[int, int, int, int]:
    """What a batch of ``kind`` pays of a line, per payer, in fen."""
    if kind is BatchKind.marginal_instalment:
        return ByPayer.of_fen(by_payer).split(instalment).fen
    return by_payer
