"""The platform codes (issue 16.3, docs/policy.md "Reference data"): written out by hand here, so a wrong map
in huimin_policy.codes fails."""

import pytest

from huimin_policy import codes

# (category, age group) → (insutype, psn_type, medical-assistance person type), from POLICY.md's reference data.
HAND_WRITTEN = [
    ("dibao", "minor", ("391", "14", "1")),
    ("dibao", "adult", ("391", "15", "1")),
    ("dibao", "elderly", ("391", "16", "1")),
    ("marginal", "minor", ("391", "14", None)),
    ("marginal", "adult", ("391", "15", None)),
    ("marginal", "elderly", ("391", "16", None)),
    ("low_income_elderly", "elderly", ("391", "16", "5")),
    ("severely_disabled", "minor", ("391", "14", "7")),
    ("severely_disabled", "adult", ("391", "15", "7")),
    (None, "adult", ("391", "15", None)),
]


@pytest.mark.parametrize(("category", "age_group", "expected"), HAND_WRITTEN)
def test_each_category_and_age_group_has_the_reference_datas_codes(
    category: str | None, age_group: str, expected: tuple[str, str, str | None]
) -> None:
    """insutype 391 for everyone subsidised; psn_type 14/15/16 by age group; 1/5/7 by category, none for
    marginal (the dictionary has no type for 低保边缘)."""
    assert (codes.INSUTYPE, codes.psn_type(age_group), codes.assistance_psn_type(category)) == expected


def test_the_fund_codes_are_610100_for_medical_assistance_and_390100_for_resident_insurance() -> None:
    """N§二 / S1: the subsidy moves from 城市医疗救助基金 (610100) to 城镇居民基本医疗保险基金 (390100)."""
    assert codes.fund_code("medical_assistance_fund") == "610100"
    assert codes.fund_code("resident_insurance_fund") == "390100"
    for other in ("central_finance", "city_finance", "district_finance", "civil_affairs", "external_payee"):
        assert codes.fund_code(other) is None


def test_type_6_matches_no_category_and_every_written_type_is_named() -> None:
    """6 低收入家庭未成年人 is in the dictionary but no category of the notices maps to it."""
    assert sorted(codes.ASSISTANCE_PSN_TYPE_BY_CATEGORY.values()) == ["1", "5", "7"]
    assert set(codes.ASSISTANCE_PSN_TYPE_BY_CATEGORY.values()) <= set(codes.ASSISTANCE_PSN_TYPE_NAMES)
    assert set(codes.FUND_CODE_BY_ACCOUNT_TYPE.values()) == set(codes.FUND_NAMES)


def test_an_unknown_age_group_is_an_error_not_a_guess() -> None:
    with pytest.raises(KeyError):
        codes.psn_type("toddler")


def test_the_sql_case_renders_the_map_and_refuses_what_is_unsafe_to_inline() -> None:
    assert codes.sql_case("category", {"dibao": "1", "marginal": "2"}) == (
        "(CASE category WHEN 'dibao' THEN '1' WHEN 'marginal' THEN '2' END)"
    )
    with pytest.raises(ValueError, match="not safe"):
        codes.sql_case("category", {"x'; DROP TABLE t; --": "1"})
