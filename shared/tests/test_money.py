"""Money is exact (POLICY.md P6): yuan to the fen, splits add up to the whole."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from huimin_shared.money import (
    MAX_YUAN,
    Money,
    MoneyError,
    format_fen,
    format_yuan,
    from_fen,
    parse_yuan,
    split,
    to_fen,
    to_yuan,
)


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
    with pytest.raises(MoneyError, match="larger than"):
        parse_yuan("1000000000000000000000000000")  # would overflow NUMERIC(14, 2)
    assert parse_yuan("999999999999.99") == Decimal("999999999999.99")


def test_rounding_to_fen_is_half_up() -> None:
    assert to_yuan(Decimal("0.005")) == Decimal("0.01")
    assert to_yuan(Decimal("0.004")) == Decimal("0.00")


class _Body(BaseModel):
    amount: Money


def test_money_fields_travel_as_two_decimal_strings() -> None:
    assert _Body(amount="130").model_dump(mode="json") == {"amount": "130.00"}
    with pytest.raises(ValidationError, match="more than two decimal places"):
        _Body(amount="1.234")


fen_amounts = st.integers(min_value=-(10**16) + 1, max_value=10**16 - 1)  # up to 14 digits of yuan


def test_fen_text_is_read_exactly_with_hand_worked_figures() -> None:
    """P6: "126.00" is 12600 fen; one decimal means tens of fen; a minus sign on a zero-yuan part counts."""
    assert to_fen("126.00") == 12600
    assert to_fen("-25.5") == -2550
    assert to_fen("30") == 3000
    assert to_fen("-0.05") == -5
    assert to_fen("0.01") == 1
    assert to_fen(Decimal("61.79")) == 6179
    assert to_fen(Decimal("-1.2")) == -120
    assert to_fen(Decimal("1E+2")) == 10000
    assert from_fen(6179) == Decimal("61.79")
    assert str(from_fen(0)) == "0.00"
    assert format_fen(-5) == "-0.05"
    assert format_fen(12600) == "126.00"


@pytest.mark.parametrize(
    "bad", ["1.234", "1e2", " 1.00", "1.", ".5", "+1.00", "1,00", "", "NaN", "１.00", "123456789012345.00"]
)
def test_fen_text_that_is_not_an_exact_amount_is_refused(bad: str) -> None:
    """P6: more than two decimals, exponents, spaces or signs other than a leading minus are not amounts."""
    with pytest.raises(MoneyError):
        to_fen(bad)


@pytest.mark.parametrize(
    "bad", [0.1, 1.0, 130, True, None, Decimal("0.001"), Decimal("NaN"), Decimal("Infinity")]
)
def test_floats_ints_and_sub_fen_decimals_are_refused(bad: object) -> None:
    """Never float: 0.1 is not a tenth in binary; an int could be yuan or fen, so it is refused too."""
    with pytest.raises(MoneyError):
        to_fen(bad)  # type: ignore[arg-type]


@given(fen_amounts)
def test_fen_survive_the_round_trip_through_text_and_decimal(fen: int) -> None:
    """P6: fen → text → fen and fen → Decimal → fen are exact, both ways, and agree with format_yuan."""
    assert to_fen(format_fen(fen)) == fen
    assert to_fen(from_fen(fen)) == fen
    assert format_yuan(from_fen(fen)) == format_fen(fen)
    assert from_fen(fen) == Decimal(format_fen(fen))
    assert from_fen(fen).as_tuple().exponent == -2


@given(st.decimals(min_value=-MAX_YUAN, max_value=MAX_YUAN, places=2))
def test_to_fen_agrees_with_parse_yuan_on_any_two_decimal_amount(amount: Decimal) -> None:
    """The fast text path and the Decimal path read the same amount to the same fen as ``parse_yuan``."""
    text = format_yuan(amount)
    assert to_fen(text) == to_fen(amount) == int(parse_yuan(text) * 100)
    assert from_fen(to_fen(text)) == amount


@given(st.text(alphabet="0123456789.-e+ ", max_size=20))
def test_to_fen_reads_text_exactly_or_refuses_it(text: str) -> None:
    """Whatever the text, to_fen returns the exact fen of a two-decimal amount or raises MoneyError."""
    try:
        fen = to_fen(text)
    except MoneyError:
        return
    assert Decimal(text) * 100 == fen


@pytest.mark.parametrize(
    "text",
    [
        "1E2",
        "1e2",
        "1_000.00",
        "+1.00",
        ".5",
        "1.",
        " 1.00",
        "1.00 ",
        "１.00",
        "1.001",
        "--1",
        "1,000.00",
        "",
        "-",
        "1.00\n",
        "٣.00",
        "0x10",
        "Infinity",
        "NaN",
        "1000000000000.00",
    ],
)
def test_money_text_outside_the_one_grammar_is_refused(text: str) -> None:
    """P6: one strict grammar for amounts as text (Money's schema pattern); Decimal() is far more lenient."""
    with pytest.raises(MoneyError):
        parse_yuan(text)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("130.00", "130.00"),
        ("130", "130.00"),
        ("-2.5", "-2.50"),
        ("0.01", "0.01"),
        ("999999999999.99", MAX_YUAN),
    ],
)
def test_money_text_in_the_grammar_is_read_exactly(text: str, amount: str | Decimal) -> None:
    assert parse_yuan(text) == Decimal(amount)


def test_the_documented_money_pattern_is_the_grammar_the_parser_applies() -> None:
    import re

    pattern = Money.__metadata__[2].json_schema["pattern"]  # type: ignore[attr-defined]
    for text in ["1E2", "+1.00", ".5", " 1.00", "１.00", "1_000.00"]:
        assert re.search(pattern, text) is None
    assert re.search(pattern, "130.00") is not None


def test_stored_totals_beyond_an_input_amount_still_read() -> None:
    """A balance may sum past MAX_YUAN (NUMERIC(16, 2)); reading it back must not fail."""

    class Balance(BaseModel):
        posted: Money

    big = Decimal("1000000000000.99")
    assert Balance(posted=big).model_dump(mode="json") == {"posted": "1000000000000.99"}
    with pytest.raises(ValidationError):
        Balance.model_validate_json('{"posted": "1000000000000.99"}')
