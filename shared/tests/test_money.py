"""Money is exact (POLICY.md P6): yuan to the fen, splits add up to the whole."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from huimin_shared.money import Money, MoneyError, parse_yuan, split, to_yuan


def test_seven_to_three_of_a_hundred_yuan_is_seventy_and_thirty() -> None:
    """B§三: city : district = 7 : 3."""
    assert split(Decimal("100.00"), [7, 3]) == [Decimal("70.00"), Decimal("30.00")]


def test_the_remainder_fen_goes_to_the_named_party() -> None:
    """0.01 yuan split 5:5 cannot be halved: the pack names who takes the fen (default the city)."""
    assert split(Decimal("0.01"), [5, 5], remainder_to=0) == [Decimal("0.01"), Decimal("0.00")]
    assert split(Decimal("0.01"), [5, 5], remainder_to=1) == [Decimal("0.00"), Decimal("0.01")]
    # 10.01 at 7:3 → 7.007 and 3.003: floors 7.00 and 3.00, the 0.01 left goes to the city.
    assert split(Decimal("10.01"), [7, 3]) == [Decimal("7.01"), Decimal("3.00")]


amounts = st.decimals(min_value=Decimal("-1000000"), max_value=Decimal("100000000"), places=2)
weights = st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=6).filter(
    lambda w: sum(w) > 0
)


@given(amounts, weights, st.data())
def test_any_split_adds_up_to_the_whole_to_the_fen(
    amount: Decimal, ws: list[int], data: st.DataObject
) -> None:
    remainder_to = data.draw(st.integers(min_value=0, max_value=len(ws) - 1))
    parts = split(amount, ws, remainder_to=remainder_to)
    assert sum(parts, Decimal(0)) == amount
    assert all(part == part.quantize(Decimal("0.01")) for part in parts)
    # No part strays from its exact share by a fen or more, except the one taking the remainder.
    total = sum(ws)
    for index, (part, weight) in enumerate(zip(parts, ws, strict=True)):
        if index != remainder_to:
            assert abs(part - amount * weight / total) < Decimal("0.01")


def test_a_zero_weight_party_gets_nothing() -> None:
    assert split(Decimal("30.00"), [1, 0]) == [Decimal("30.00"), Decimal("0.00")]


def test_input_amounts_are_read_exactly_and_floats_are_refused() -> None:
    assert parse_yuan("130.5") == Decimal("130.50")
    assert parse_yuan(130) == Decimal("130.00")
    with pytest.raises(MoneyError, match="more than two decimal places"):
        parse_yuan("0.001")
    with pytest.raises(MoneyError, match="not floating-point"):
        parse_yuan(0.1)
    with pytest.raises(MoneyError):
        parse_yuan("NaN")


def test_rounding_to_fen_is_half_up() -> None:
    assert to_yuan(Decimal("0.005")) == Decimal("0.01")
    assert to_yuan(Decimal("0.004")) == Decimal("0.00")


class _Body(BaseModel):
    amount: Money


def test_money_fields_travel_as_two_decimal_strings() -> None:
    assert _Body(amount="130").model_dump(mode="json") == {"amount": "130.00"}
    with pytest.raises(ValidationError, match="more than two decimal places"):
        _Body(amount="1.234")
