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
# The largest amount a NUMERIC(14, 2) column holds: a trillion yuan less a fen, far above any
# city's or province's year, so anything larger is a typing error, not money.
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


def parse_yuan(value: object) -> Decimal:
    """Read an amount from input exactly: a string or integer with at most two decimals.

    Floats are refused because 0.1 + 0.2 is not 0.3 in binary; a client sends "0.30".
    """
    if isinstance(value, (bool, float)):
        raise MoneyError('amounts are decimal strings such as "130.00", not floating-point numbers')
    if not isinstance(value, (Decimal, int, str)):
        raise MoneyError('amounts are decimal strings such as "130.00"')
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation as exc:
        raise MoneyError(f"{value!r} is not a decimal amount") from exc
    if not amount.is_finite():
        raise MoneyError(f"{value!r} is not a finite amount")
    if abs(amount) > MAX_YUAN:
        raise MoneyError(f"{value!r} is larger than {MAX_YUAN} yuan")
    if amount != amount.quantize(FEN, rounding=ROUND_DOWN):
        raise MoneyError(f"{value!r} has more than two decimal places (fen is the smallest unit)")
    return amount.quantize(FEN)


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
            "pattern": r"^-?\d+\.\d{2}$",
            "examples": ["130.00"],
            "description": "Amount in yuan (元) with two decimals (fen, 分), as a string.",
        }
    ),
]
"""A pydantic field type for yuan amounts: read exactly, written as a two-decimal string."""
