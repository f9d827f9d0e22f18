"""The identifiers every service uses for people and payers (POLICY.md glossary), defined once."""

from __future__ import annotations

from enum import StrEnum


# A person category certified by civil affairs (E2), by the glossary's identifiers. (No docstrings on these
# enumerations: pydantic would publish them in every service's OpenAPI schema.)
class Category(StrEnum):
    dibao = "dibao"  # 城市低保对象
    marginal = "marginal"  # 低保边缘对象 (B only)
    low_income_elderly = "low_income_elderly"  # 低收入家庭60周岁以上老年人 (N only)
    severely_disabled = "severely_disabled"  # 丧失劳动能力的重度残疾人 (N only)


# The one spelling of "no subsidised category" wherever a category is text (filters, groups, batch lines).
NO_CATEGORY = "none"

CATEGORY_BY_VALUE: dict[str, Category] = {c.value: c for c in Category}

CATEGORY_NAMES_ZH = {
    Category.dibao: "城市低保对象",
    Category.marginal: "低保边缘对象",
    Category.low_income_elderly: "低收入家庭60周岁以上老年人",
    Category.severely_disabled: "丧失劳动能力的重度残疾人",
}

# A person certified in two categories at once is counted once, under the first of these, and when two
# categories give the same subsidy the earlier one is named (the more generous first: dibao is 100 % in
# Benxi, marginal 70 %; B§一(二)).
CATEGORY_PRECEDENCE = (
    Category.dibao,
    Category.severely_disabled,
    Category.low_income_elderly,
    Category.marginal,
)


# 学生和儿童 are ``minor``; the age group is fixed on 1 January of the cover year (huimin_policy.ages).
class AgeGroup(StrEnum):
    minor = "minor"  # under 18 on 1 January of the cover year
    adult = "adult"
    elderly = "elderly"  # 60 and over on 1 January (N§一 60周岁以上)


# Who pays a part of a subsidy (N§二 central share, B§三 city : district or county).
class Payer(StrEnum):
    central = "central"
    province = "province"
    city = "city"
    district_or_county = "district_or_county"


# The fixed order of by-payer figures everywhere (amount tuples, columns, JSON objects).
PAYERS: tuple[Payer, ...] = (Payer.central, Payer.province, Payer.city, Payer.district_or_county)


# Eastern, central or western province, for the central-finance share (N§二).
class RegionClass(StrEnum):
    eastern = "eastern"
    central = "central"
    western = "western"
