"""Platform codes: what an integrating social-insurance system reads beside our identifiers (issue 16.3).

The one home of the mapping; docs/codes.md documents it and every record that carries it. The notices
define none of these codes: N§二 names the two fund accounts (城市医疗救助基金, 城镇居民基本医疗保险基金) and
N§三 medical assistance, but not their codes. The codes are the national healthcare-security platform's
dictionary as docs/policy.md "Reference data" records it from POLICY.md (medium-high confidence):

- ``insutype`` 391 城镇居民基本医疗保险 (URBMI, the scheme every subsidised person is enrolled in);
- ``psn_type`` by age group on 1 January of the cover year: 14 minor, 15 adult, 16 elderly resident;
- the local medical-assistance person type (医疗救助人员类别) by category: 1 低保对象 (dibao),
  5 低收入家庭老年人 (low_income_elderly), 7 低收入家庭重度残疾人 (severely_disabled). ``marginal``
  (低保边缘, Benxi only) has none in the dictionary, and 6 低收入家庭未成年人 matches no category of the
  notices, so neither is ever written;
- fund codes: 610100 城市医疗救助基金 (``medical_assistance_fund``), 390100 城镇居民基本医疗保险基金
  (``resident_insurance_fund``).

Keys are the identifiers of POLICY.md's glossary as strings (category, age group, account type), so this
module imports nothing of the services. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

# Reference data: 391 城镇居民基本医疗保险. (390 is 城乡居民基本医疗保险, the merged scheme of later years,
# not the URBMI the notices subsidise.)
INSUTYPE = "391"
INSUTYPE_NAME = "城镇居民基本医疗保险"

# Reference data: 14 resident (minor), 15 resident (adult), 16 resident (elderly); the age group is fixed on
# 1 January of the cover year (docs/policy.md "What the notices leave open").
PSN_TYPE_BY_AGE_GROUP: Mapping[str, str] = MappingProxyType({"minor": "14", "adult": "15", "elderly": "16"})

# Reference data, the medical-assistance person types used locally (1, 5, 7 apply; see the module docstring
# for marginal and 6).
ASSISTANCE_PSN_TYPE_BY_CATEGORY: Mapping[str, str] = MappingProxyType(
    {"dibao": "1", "low_income_elderly": "5", "severely_disabled": "7"}
)
ASSISTANCE_PSN_TYPE_NAMES: Mapping[str, str] = MappingProxyType(
    {"1": "低保对象", "5": "低收入家庭老年人", "6": "低收入家庭未成年人", "7": "低收入家庭重度残疾人"}
)

# Reference data: fund codes of the two special accounts of N§二 (S1: the subsidy moves from the first to the
# second). Other ledger accounts (finance bureaus, civil affairs, payees) are no fund and carry none.
FUND_CODE_BY_ACCOUNT_TYPE: Mapping[str, str] = MappingProxyType(
    {"medical_assistance_fund": "610100", "resident_insurance_fund": "390100"}
)
FUND_NAMES: Mapping[str, str] = MappingProxyType(
    {"610100": "城市医疗救助基金", "390100": "城镇居民基本医疗保险基金"}
)


def psn_type(age_group: str) -> str:
    """The platform person type of a resident in ``age_group`` (minor, adult, elderly)."""
    return PSN_TYPE_BY_AGE_GROUP[age_group]


def assistance_psn_type(category: str | None) -> str | None:
    """The local medical-assistance person type of ``category``; None where none applies (marginal, none)."""
    return ASSISTANCE_PSN_TYPE_BY_CATEGORY.get(category) if category is not None else None


def fund_code(account_type: str) -> str | None:
    """The fund code of a ledger account type; None for an account that is not one of the two funds."""
    return FUND_CODE_BY_ACCOUNT_TYPE.get(account_type)


_SQL_SAFE = re.compile(r"^[a-z0-9_]+$")


def sql_case(expression: str, mapping: Mapping[str, str]) -> str:
    """``mapping`` as a SQL CASE on ``expression`` (NULL where no key matches), so a statement renders the codes
    at read time and no table stores them. Keys and values are identifiers and digits, checked here before
    they are inlined."""
    for item in (*mapping.keys(), *mapping.values()):
        if not _SQL_SAFE.match(item):
            raise ValueError(f"{item!r} is not safe to inline in SQL")
    arms = " ".join(f"WHEN '{key}' THEN '{value}'" for key, value in mapping.items())
    return f"(CASE {expression} {arms} END)"


# The OpenAPI descriptions of the fields that carry the codes, the same on every record (docs/codes.md).
_SEE = " The mapping: docs/codes.md (huimin_policy.codes)."
INSUTYPE_DESCRIPTION = f"Platform insurance type (险种类型): {INSUTYPE} {INSUTYPE_NAME}." + _SEE
PSN_TYPE_DESCRIPTION = (
    "Platform person type (人员类别) by the age group on 1 January of the cover year: 14 minor, 15 adult, "
    "16 elderly resident." + _SEE
)
ASSISTANCE_PSN_TYPE_DESCRIPTION = (
    "Local medical-assistance person type (医疗救助人员类别) of the category: 1 低保对象 (dibao), "
    "5 低收入家庭老年人 (low_income_elderly), 7 低收入家庭重度残疾人 (severely_disabled); null where none "
    "applies (marginal, or no subsidised category)." + _SEE
)
FUND_CODE_DESCRIPTION = (
    "Fund code (基金编码) of a fund account: 610100 城市医疗救助基金 (medical_assistance_fund), 390100 "
    "城镇居民基本医疗保险基金 (resident_insurance_fund); null for any other account." + _SEE
)
