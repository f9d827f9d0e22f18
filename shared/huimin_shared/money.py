"""Money in yuan with fen precision (POLICY.md P6).

Amounts are ``Decimal`` quantised to 0.01 and travel in JSON as strings ("130.00").
Rounding happens only at the edges (``to_yuan``); ``split`` never rounds: it hands out
whole fen and says who takes the remainder.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import MAX_PREC, ROUND_DOWN, ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
# The largest single amount a client may send: a trillion yuan less a fen (12 digits of yuan), far above
# any city's or province's year, so anything larger is a typing error, not money.
MAX_YUAN = Decimal("999999999999.99")


class MoneyError(ValueError):
    """An amount that is not a finite number of yuan with at most two decimals."""


def to_yuan(value: Decimal | int | str) -> Decimal:
    """Round any decimal amount to fen, half up (the only rounding the suite does)."""
    try:
        amount = Decimal(value)
    except InvalidOperation as exc:
        raise MoneyError(f"{value!r} is not a number") from exc
    if not amount.is_finite():
        raise MoneyError(f"{value!r} is not a finite amount")
    if abs(amount) > MAX_YUAN:
        raise MoneyError(f"{value!r} is larger than {MAX_YUAN} yuan")
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


# The one grammar of an amount as text: ASCII digits (at most 12 before the point, so at most MAX_YUAN),
# an optional minus and an optional point with one or two decimals. No exponent ("1E2"), underscore
# ("1_000.00"), plus sign, bare point (".5"), space or non-ASCII digit ("１.00"): Decimal() reads all
# of those, a clerk almost never means them.
MONEY_PATTERN = r"^-?[0-9]{1,12}(\.[0-9]{1,2})?$"
_MONEY_TEXT = re.compile(MONEY_PATTERN)
# What a money column holds (NUMERIC(16, 2), huimin_policy.money); sums we computed may exceed MAX_YUAN.
MAX_STORED_YUAN = Decimal("99999999999999.99")


def parse_yuan(value: object) -> Decimal:
    """Read an amount exactly: text in ``MONEY_PATTERN``, an integer of yuan, or a ``Decimal`` of whole fen.

    Floats are refused because 0.1 + 0.2 is not 0.3 in binary; a client sends "0.30". Text and integers
    (what clients send) are bounded by MAX_YUAN; a ``Decimal`` (our own arithmetic or the database) by
    what a NUMERIC(16, 2) column holds, so reading stored totals never fails.
    """
    if isinstance(value, (bool, float)):
        raise MoneyError('amounts are decimal strings such as "130.00", not floating-point numbers')
    if isinstance(value, str):
        if _MONEY_TEXT.fullmatch(value) is None:
            raise MoneyError(_why_not_money(value))
        return Decimal(value).quantize(FEN)
    if isinstance(value, int):
        if abs(value) > MAX_YUAN:
            raise MoneyError(f"{value!r} is larger than {MAX_YUAN} yuan")
        return Decimal(value).quantize(FEN)
    if not isinstance(value, Decimal):
        raise MoneyError('amounts are decimal strings such as "130.00"')
    if not value.is_finite():
        raise MoneyError(f"{value!r} is not a finite amount")
    if abs(value) > MAX_STORED_YUAN:
        raise MoneyError(f"{value!r} is larger than {MAX_STORED_YUAN} yuan")
    if value != value.quantize(FEN, rounding=ROUND_DOWN):
        raise MoneyError(f"{value!r} has more than two decimal places (fen is the smallest unit)")
    return value.quantize(FEN)


def _why_not_money(text: str) -> str:
    shown = repr(text[:40])
    if re.fullmatch(r"-?[0-9]+\.[0-9]{3,}", text):
        return f"{shown} has more than two decimal places (fen is the smallest unit)"
    if re.fullmatch(r"-?[0-9]{13,}(\.[0-9]{1,2})?", text):
        return f"{shown} is larger than {MAX_YUAN} yuan"
    return (
        f"{shown} is not an amount: ASCII digits, an optional minus and at most two decimals after a point, "
        'such as "130.00" or "-2.5"'
    )


def format_yuan(amount: Decimal) -> str:
    return str(amount.quantize(FEN))


_EXACT = Context(prec=MAX_PREC)  # moving the decimal point never rounds, however long the amount
_FEN_TEXT = re.compile(r"-?\d{1,14}(\.\d{1,2})?", re.ASCII)  # ASCII: int() would read "１" too


def to_fen(value: str | Decimal) -> int:
    """An amount as whole fen, exactly: "126.00" → 12600, "-25.5" → -2550, Decimal("0.01") → 1.

    Text (as peers send amounts) is read with integer arithmetic, several times faster than Decimal
    on bulk paths; more than two decimals, exponents, spaces, numbers that are not text or Decimal
    (floats, and ints: yuan or fen?) are refused rather than rounded.
    """
    if isinstance(value, str):
        if _FEN_TEXT.fullmatch(value) is None:
            raise MoneyError(f"{value[:40]!r} is not a decimal string with at most two decimals")
        whole, _, fraction = value.partition(".")
        fen = abs(int(whole)) * 100 + (int(fraction.ljust(2, "0")) if fraction else 0)
        return -fen if value.startswith("-") else fen
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise MoneyError(f"{value!r} is not a finite amount")
        scaled = value.scaleb(2, _EXACT)
        if scaled != scaled.to_integral_value():
            raise MoneyError(f"{value!r} has more than two decimal places (fen is the smallest unit)")
        return int(scaled)
    raise MoneyError(f'amounts are decimal strings such as "130.00" or Decimal, not {type(value).__name__}')


def from_fen(fen: int) -> Decimal:
    """Whole fen as yuan with two places: 12345 → Decimal("123.45"), 0 → Decimal("0.00")."""
    return Decimal(fen).scaleb(-2, _EXACT)


def format_fen(fen: int) -> str:
    """Whole fen as yuan text, "-123.45", without Decimal (PostgreSQL's COPY reads it into numeric)."""
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(fen), 100)
    return f"{sign}{whole}.{part:02d}"


def split(amount: Decimal, weights: Sequence[int | Decimal], remainder_to: int = 0) -> list[Decimal]:
    """Split ``amount`` in proportion to ``weights`` so the parts add up to the whole to the fen.

    Each part is first rounded down to whole fen; the fen left over (fewer than there are parts)
    all go to the part at index ``remainder_to``, so who takes a remainder is a stated rule, not
    an accident of rounding (P6: the pack names the party, by default the city).
    """
    if not weights:
        raise ValueError("split needs at least one weight")
    if any(Decimal(w) < 0 for w in weights):
        raise ValueError("weights cannot be negative")
    total_weight = sum((Decimal(w) for w in weights), Decimal(0))
    if total_weight == 0:
        raise ValueError("weights cannot all be zero")
    if not 0 <= remainder_to < len(weights):
        raise ValueError("remainder_to must index one of the weights")
    whole = amount.quantize(FEN)
    if whole != amount:
        raise MoneyError(f"{amount} is not a whole number of fen")
    total_fen = int(whole * 100)
    sign = -1 if total_fen < 0 else 1
    fen_parts = [abs(total_fen) * Decimal(w) // total_weight for w in weights]
    parts = [int(p) for p in fen_parts]
    parts[remainder_to] += abs(total_fen) - sum(parts)
    return [(Decimal(sign * p) / 100).quantize(FEN) for p in parts]


def _validate_money(value: Any) -> Decimal:
    return parse_yuan(value)


Money = Annotated[
    Decimal,
    BeforeValidator(_validate_money),
    PlainSerializer(format_yuan, return_type=str, when_used="always"),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": MONEY_PATTERN,
            "examples": ["130.00"],
            "description": "Amount in yuan (元) as a string: ASCII digits, an optional minus, at most two "
            'decimals after a point ("130.00", "-2.5"); no exponent, plus sign, spaces or full-width digits. '
            "Answers always carry two decimals.",
        }
    ),
]
"""A pydantic field type for yuan amounts: read exactly, written as a two-decimal string."""
