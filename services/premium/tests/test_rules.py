"""The pure premium rules (POLICY.md P1–P6) against hand-worked figures.

Illustrative Benxi 2010 base amounts (pack benxi v1): individual contribution minor 40.00,
adult 150.00, elderly 90.00; general subsidy 120.00. National pack: minor 40.00, adult 150.00,
elderly 80.00; general subsidy 120.00 in 2010, 80.00 in 2009.
"""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huimin_policy.enums import AgeGroup, Category, Payer
from huimin_policy.packs.files import shipped_packs
from huimin_policy.packs.model import Pack, Parameter, Value
from huimin_premium import rules
from huimin_shared.errors import Unprocessable

D = Decimal


@pytest.fixture(scope="module")
def packs() -> dict[str, Pack]:
    return {pack.id: pack for pack in shipped_packs()}


@pytest.fixture(scope="module")
def benxi(packs: dict[str, Pack]) -> rules.YearParameters:
    return rules.resolve(packs["benxi"], packs["national"], 2010)


@pytest.fixture(scope="module")
def national(packs: dict[str, Pack]) -> rules.YearParameters:
    return rules.resolve(packs["national"], packs["national"], 2010)


def payers(outcome: rules.Outcome) -> tuple[str, str, str, str]:
    return tuple(str(v) for v in rules.payer_amounts(outcome))  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("born", "group"),
    [
        (date(1992, 1, 1), AgeGroup.adult),  # 18 on 1 January 2010
        (date(1992, 1, 2), AgeGroup.minor),  # still 17 on 1 January 2010
        (date(1950, 1, 1), AgeGroup.elderly),  # 60 on 1 January 2010
        (date(1950, 1, 2), AgeGroup.adult),  # still 59 on 1 January 2010
        (date(2009, 12, 31), AgeGroup.minor),
    ],
)
def test_age_group_is_fixed_on_the_first_of_january_of_the_cover_year(born: date, group: AgeGroup) -> None:
    """P1 / N§二: minor under 18, elderly 60 and over, on 1 January (turning 18 or 60 on 1 or 2 January)."""
    assert rules.age_group(born, 2010) is group


def test_turning_eighteen_on_the_second_of_january_still_quotes_the_minor_amount(benxi) -> None:  # type: ignore[no-untyped-def]
    """P1, B§一(二)1: born 1992-01-02 is a minor for 2010 → contribution 40.00, dibao subsidy 40.00."""
    minor = rules.calculate(date(1992, 1, 2), "210502", [Category.dibao], benxi)
    adult = rules.calculate(date(1992, 1, 1), "210502", [Category.dibao], benxi)
    assert minor.individual_contribution.value == D("40.00")
    assert minor.assistance_subsidy.value == D("40.00")
    assert adult.individual_contribution.value == D("150.00")
    assert adult.assistance_subsidy.value == D("150.00")


def test_dibao_adult_in_a_district_is_subsidised_in_full_and_split_seven_to_three(benxi) -> None:  # type: ignore[no-untyped-def]
    """B§一(二)1 and B§三: 150.00 × 100 % = 150.00; city 105.00, district 45.00; resident pays 0.00."""
    outcome = rules.calculate(date(1980, 6, 1), "210502", [Category.dibao], benxi)
    assert outcome.financing_standard.value == D("270.00")
    assert outcome.assistance_subsidy.value == D("150.00")
    assert outcome.resident_pays.value == D("0.00")  # a zero share is a result, not "no result"
    assert payers(outcome) == ("0.00", "0.00", "105.00", "45.00")
    assert outcome.assistance_subsidy.citation == "本政办发〔2009〕130号 B§一(二)1"


def test_marginal_elderly_in_a_county_gets_seventy_percent_split_five_to_five(benxi) -> None:  # type: ignore[no-untyped-def]
    """B§一(二)2 and B§三: 90.00 × 70 % = 63.00; city 31.50, county 31.50; resident pays 27.00."""
    outcome = rules.calculate(date(1940, 3, 3), "210522", [Category.marginal], benxi)
    assert outcome.assistance_subsidy.value == D("63.00")
    assert outcome.resident_pays.value == D("27.00")
    assert payers(outcome) == ("0.00", "0.00", "31.50", "31.50")


def test_a_person_in_two_categories_gets_the_most_favourable_rule_once(benxi) -> None:  # type: ignore[no-untyped-def]
    """B§一(二), N§二: dibao 100 % (150.00) beats the dibao national floor (60.00) and marginal 70 % (105.00);
    the subsidy is 150.00 once, not 255.00."""
    outcome = rules.calculate(date(1980, 6, 1), "210503", [Category.marginal, Category.dibao], benxi)
    assert outcome.category is Category.dibao
    assert outcome.assistance_subsidy.value == D("150.00")
    assert sorted(c.amount for c in outcome.considered) == [D("60.00"), D("105.00"), D("150.00")]
    assert outcome.assistance_subsidy.rule == "most_favourable(subsidy_rate.dibao)"


def test_the_remainder_fen_goes_to_the_city(packs: dict[str, Pack]) -> None:
    """P6, B§三: contribution 100.05 × 70 % = 70.035 → 70.04 (half up); 7:3 of 7004 fen is 4902.8 : 2101.2 →
    4902 + 2101 = 7003 fen, the remaining fen to the city: city 49.03, district 21.01."""
    benxi = packs["benxi"]
    adult = benxi.base_amounts.individual_contribution.adult.with_value(
        date(2010, 1, 1), Value[D](value=D("100.05"), reference="test", illustrative=True)
    )
    changed = benxi.model_copy(
        update={
            "base_amounts": benxi.base_amounts.model_copy(
                update={
                    "individual_contribution": benxi.base_amounts.individual_contribution.model_copy(
                        update={"adult": adult}
                    )
                }
            )
        }
    )
    params = rules.resolve(changed, packs["national"], 2010)
    outcome = rules.calculate(date(1980, 6, 1), "210504", [Category.marginal], params)
    assert outcome.assistance_subsidy.value == D("70.04")
    assert payers(outcome) == ("0.00", "0.00", "49.03", "21.01")
    assert outcome.resident_pays.value == D("30.01")


def test_split_by_payer_hands_a_remainder_fen_to_the_named_party() -> None:
    """P6: 0.01 split 5:5 → 0 + 0 fen, the remaining fen to the city; 0.03 split 7:3 → 2.1 : 0.9 fen →
    2 + 0 fen, the remaining fen to the city: city 0.03, district 0.00."""
    from huimin_policy.packs.model import Shares

    assert rules.split_by_payer(D("0.01"), D("0"), Shares(city=5, district_or_county=5), Payer.city) == {
        Payer.central: D("0"),
        Payer.province: D("0.00"),
        Payer.city: D("0.01"),
        Payer.district_or_county: D("0.00"),
    }
    parts = rules.split_by_payer(D("0.03"), D("0"), Shares(city=7, district_or_county=3), Payer.city)
    assert (parts[Payer.city], parts[Payer.district_or_county]) == (D("0.03"), D("0.00"))


def test_supplementary_premium_is_never_subsidised(benxi) -> None:  # type: ignore[no-untyped-def]
    """B§一(二)2: a dibao minor pays 0.00 of the 40.00 contribution but all of the 12.00 supplementary premium."""
    outcome = rules.calculate(date(2005, 5, 5), "210505", [Category.dibao], benxi, supplementary=True)
    assert outcome.assistance_subsidy.value == D("40.00")
    assert outcome.supplementary_premium is not None
    assert outcome.supplementary_premium.value == D("12.00")
    assert outcome.total_resident_pays.value == D("12.00")
    assert sum(rules.payer_amounts(outcome)) == D("40.00")


def test_western_dibao_minor_gets_the_national_floor_with_five_yuan_central(national) -> None:  # type: ignore[no-untyped-def]
    """N§二: where no city pack is in force, a dibao child gets at least 10.00, central pays 5.00 in the west
    (成都 锦江区 510104); the local 5.00 falls to the city by the national pack's default."""
    outcome = rules.calculate(date(2003, 1, 1), "510104", [Category.dibao], national)
    assert outcome.assistance_subsidy.value == D("10.00")
    assert outcome.resident_pays.value == D("30.00")
    assert payers(outcome) == ("5.00", "0.00", "5.00", "0.00")


def test_western_dibao_adult_gets_sixty_with_thirty_central(national) -> None:  # type: ignore[no-untyped-def]
    """N§二: other dibao people: at least 60.00, central 30.00 in central and western provinces."""
    outcome = rules.calculate(date(1970, 1, 1), "510121", [Category.dibao], national)
    assert outcome.assistance_subsidy.value == D("60.00")
    assert payers(outcome) == ("30.00", "0.00", "30.00", "0.00")
    assert outcome.financing_standard.value == D("270.00")


def test_an_eastern_province_gets_no_central_share_where_a_western_one_does(national) -> None:  # type: ignore[no-untyped-def]
    """N§二: 中央财政对中西部地区按人均30元给予补助; the eastern share is a parameter, 0 by default.
    A low-income elderly person in Beijing (110105) and in 成都 (510104): 60.00 each; central 0.00 vs 30.00."""
    east = rules.calculate(date(1940, 1, 1), "110105", [Category.low_income_elderly], national)
    west = rules.calculate(date(1940, 1, 1), "510104", [Category.low_income_elderly], national)
    assert east.assistance_subsidy.value == west.assistance_subsidy.value == D("60.00")
    assert payers(east) == ("0.00", "0.00", "60.00", "0.00")
    assert payers(west) == ("30.00", "0.00", "30.00", "0.00")
    assert east.region_class.value == "eastern"
    assert west.region_class.value == "western"


def test_a_subsidy_never_exceeds_the_individual_contribution(packs: dict[str, Pack]) -> None:
    """P4: with a contribution of 6.00, the 10.00 floor for a dibao child is capped at 6.00; the child pays 0.00
    and central pays 5.00 of it, the city 1.00."""
    national_pack = packs["national"]
    minor = national_pack.base_amounts.individual_contribution.minor.with_value(
        date(2010, 1, 1), Value[D](value=D("6.00"), reference="test", illustrative=True)
    )
    changed = national_pack.model_copy(
        update={
            "base_amounts": national_pack.base_amounts.model_copy(
                update={
                    "individual_contribution": national_pack.base_amounts.individual_contribution.model_copy(
                        update={"minor": minor}
                    )
                }
            )
        }
    )
    params = rules.resolve(changed, national_pack, 2010)
    outcome = rules.calculate(date(2005, 1, 1), "510104", [Category.severely_disabled], params)
    assert outcome.assistance_subsidy.value == D("6.00")
    assert outcome.resident_pays.value == D("0.00")
    assert payers(outcome) == ("5.00", "0.00", "1.00", "0.00")


def test_a_category_outside_the_pack_gets_no_subsidy(benxi, national) -> None:  # type: ignore[no-untyped-def]
    """E3 / E4: Benxi subsidises dibao and marginal only; the national pack does not know marginal."""
    benxi_outcome = rules.calculate(date(1980, 1, 1), "210502", [Category.severely_disabled], benxi)
    national_outcome = rules.calculate(date(1980, 1, 1), "510104", [Category.marginal], national)
    for outcome in (benxi_outcome, national_outcome):
        assert outcome.assistance_subsidy.value == D("0.00")
        assert outcome.resident_pays.value == D("150.00")
        assert outcome.category is None


def test_the_general_subsidy_follows_the_dated_values(packs: dict[str, Pack]) -> None:
    """P1 reference data: the national minimum is 80.00 in 2009 (the 2008 value still in force), 120.00 in 2010."""
    assert rules.resolve(packs["national"], packs["national"], 2009).general_subsidy[
        AgeGroup.adult
    ].value == D("80.00")
    assert rules.resolve(packs["national"], packs["national"], 2010).general_subsidy[
        AgeGroup.adult
    ].value == D("120.00")


def test_the_benxi_pack_does_not_apply_before_2010(packs: dict[str, Pack]) -> None:
    """B§二: 资助城市低保及边缘对象参保时间统一自2010年1月1日起开始."""
    with pytest.raises(Unprocessable):
        rules.resolve(packs["benxi"], packs["national"], 2009)


def test_the_benxi_rate_values_cite_their_clauses(packs: dict[str, Pack]) -> None:
    """B§一(二)1–2: every rate carries its document number and clause."""
    rates = packs["benxi"].subsidy_rates
    dibao: Parameter[D] = rates[Category.dibao]
    assert dibao.at(date(2010, 1, 1)) == Value[D](
        value=D("1.00"), reference="本政办发〔2009〕130号 B§一(二)1"
    )
    assert rates[Category.marginal].at(date(2010, 1, 1)).value == D("0.70")  # type: ignore[union-attr]


@given(
    cents=st.integers(min_value=0, max_value=10_000_000),
    central_cents=st.integers(min_value=0, max_value=5_000),
    city=st.integers(min_value=0, max_value=9),
    district=st.integers(min_value=1, max_value=9),
)
def test_the_payer_split_always_adds_up_to_the_subsidy(
    cents: int, central_cents: int, city: int, district: int
) -> None:
    """P6: the parts add up to the whole, to the fen, for any amount and any shares."""
    from huimin_policy.packs.model import Shares

    subsidy = D(cents) / 100
    central = min(D(central_cents) / 100, subsidy)
    parts = rules.split_by_payer(subsidy, central, Shares(city=city, district_or_county=district), Payer.city)
    assert sum(parts.values()) == subsidy
    assert all(part >= 0 for part in parts.values())
