"""The dated, cited packs (P1–P6, OpenFisca-style): every value has a date and a reference; a pack speaks
for the cover years its values are dated in, and no other."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from huimin_policy.enums import Category, Payer
from huimin_policy.packs.files import content_hash, parse_pack, restated, shipped_packs
from huimin_policy.packs.model import Pack, Parameter, Value, cover_years, parameters_of


def _pack(pack_id: str) -> Pack:
    return next(p for p in shipped_packs() if p.id == pack_id)


def test_the_shipped_packs_are_the_national_notice_and_benxi() -> None:
    """民发〔2007〕156号 (no region, with the national floors) and 本政办发〔2009〕130号 for 210500."""
    packs = {p.id: p for p in shipped_packs()}
    assert set(packs) == {"national", "benxi"}
    assert packs["national"].region is None
    assert packs["national"].national is not None
    assert packs["benxi"].region == "210500"
    assert packs["benxi"].effective_from == date(2010, 1, 1)


def test_every_dated_value_of_a_shipped_pack_cites_its_source() -> None:
    """Every figure traces to a clause or says it is illustrative (POLICY.md, P1)."""
    for pack in shipped_packs():
        for parameter in parameters_of(pack):
            for value in parameter.values.values():
                assert len(value.reference) >= 3


def test_benxi_subsidises_dibao_fully_and_marginal_at_seventy_percent() -> None:
    """B§一(二)1 and 2: 100 % for dibao, 70 % for marginal, from 2010-01-01; the city takes a remainder fen."""
    benxi = _pack("benxi")
    assert benxi.categories == [Category.dibao, Category.marginal]
    on = date(2010, 1, 1)
    dibao = benxi.subsidy_rates[Category.dibao].at(on)
    marginal = benxi.subsidy_rates[Category.marginal].at(on)
    assert dibao is not None
    assert dibao.value == Decimal("1.00")
    assert "B§一(二)1" in dibao.reference
    assert marginal is not None
    assert marginal.value == Decimal("0.70")
    assert "B§一(二)2" in marginal.reference
    assert benxi.cost_sharing.remainder.to is Payer.city


def test_a_pack_read_twice_hashes_the_same() -> None:
    """The content hash pins a pack version: the same content gives the same hash."""
    benxi = _pack("benxi")
    assert content_hash(parse_pack(benxi.model_dump_json())) == content_hash(benxi)


def test_a_local_pack_naming_central_for_the_remainder_fen_is_refused() -> None:
    """P6: central pays a fixed share (N§二) and never takes a remainder fen."""
    content = _pack("benxi").model_dump(mode="json")
    content["cost_sharing"]["remainder"]["to"] = "central"
    with pytest.raises(ValidationError, match="central finance pays a fixed share"):
        Pack.model_validate(content)


def _money(value: str) -> Value[Decimal]:
    return Value[Decimal](value=Decimal(value), reference="test figure")


@given(
    st.dictionaries(
        st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)),
        st.integers(min_value=0, max_value=1000),
        min_size=1,
        max_size=6,
    ),
    st.dates(min_value=date(1999, 1, 1), max_value=date(2031, 12, 31)),
)
def test_the_value_in_force_is_the_latest_dated_on_or_before_the_day(
    dated: dict[date, int], on: date
) -> None:
    """OpenFisca-style dated parameters: the latest value on or before the day wins; none before the first."""
    parameter = Parameter[Decimal](
        description="test", values={day: _money(f"{amount}.00") for day, amount in dated.items()}
    )
    in_force = [day for day in dated if day <= on]
    found = parameter.at(on)
    if not in_force:
        assert found is None
    else:
        assert found is not None
        assert found.value == Decimal(dated[max(in_force)])


@given(st.lists(st.integers(min_value=2011, max_value=2030), min_size=1, max_size=4, unique=True))
def test_a_pack_speaks_for_the_years_it_is_restated_for_and_no_later(years: list[int]) -> None:
    """A city keeps its figures for a new year only by a version restating them, value by value: the pack
    covers from its first year to the last year it dates a value in (a gap year keeps the earlier value)."""
    benxi = _pack("benxi")
    assert cover_years(benxi) == range(2010, 2011)
    content = restated(benxi.model_dump(mode="json"), benxi.version + 1, years, "test restatement")
    again = Pack.model_validate(content)
    assert cover_years(again) == range(2010, max(years) + 1)
    assert again.version == benxi.version + 1
