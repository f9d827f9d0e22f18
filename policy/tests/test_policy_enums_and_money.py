"""The enumerations and the money type are defined once (issue 12) and agree with what stores them."""

import subprocess
import sys
from decimal import Decimal

from huimin_policy import money
from huimin_policy.enums import CATEGORY_NAMES_ZH, CATEGORY_PRECEDENCE, NO_CATEGORY, PAYERS, Category, Payer
from huimin_shared import money as shared_money


def test_no_category_has_one_spelling_that_is_no_category() -> None:
    """Lines without a subsidised category are `none` in premium's filter and settlement's batches alike."""
    assert NO_CATEGORY == "none"
    assert NO_CATEGORY not in {c.value for c in Category}


def test_precedence_and_names_cover_every_category_once() -> None:
    """A person in two categories counts once, under the first by precedence (dibao first, B§一(二))."""
    assert sorted(CATEGORY_PRECEDENCE) == sorted(Category)
    assert len(set(CATEGORY_PRECEDENCE)) == len(CATEGORY_PRECEDENCE)
    assert CATEGORY_PRECEDENCE[0] is Category.dibao
    assert set(CATEGORY_NAMES_ZH) == set(Category)


def test_payers_are_listed_central_first_then_by_level() -> None:
    """N§二 central share, then the local levels of B§三: the fixed order of every by-payer figure."""
    assert (Payer.central, Payer.province, Payer.city, Payer.district_or_county) == PAYERS
    assert set(PAYERS) == set(Payer)


def test_a_money_column_holds_a_province_year_to_the_fen() -> None:
    """P6: NUMERIC(16, 2) holds 99,999,999,999,999.99 yuan — ten million residents at 9,999,999.99 each
    — and the platform's parsing of stored totals is bounded by the same figure."""
    assert (money.MONEY_PRECISION, money.MONEY_SCALE) == (16, 2)
    assert money.MONEY_SQL_TYPE == "numeric(16, 2)"
    assert Decimal("99999999999999.99") == money.MAX_STORED_YUAN
    assert money.MAX_STORED_YUAN == shared_money.MAX_STORED_YUAN
    assert Decimal("9999999.99") * 10_000_000 <= money.MAX_STORED_YUAN


def test_the_policy_package_loads_no_database_web_or_http_library() -> None:
    """Issue 12: policy is pure — importing every module of it (and what they import) loads no sqlalchemy,
    asyncpg, fastapi, starlette or httpx."""
    code = (
        "import importlib, pkgutil, sys, huimin_policy\n"
        "for m in pkgutil.walk_packages(huimin_policy.__path__, 'huimin_policy.'):\n"
        "    importlib.import_module(m.name)\n"
        "import huimin_policy.scope\n"
        "huimin_policy.scope.shipped_scopes()\n"
        "bad = {'sqlalchemy', 'asyncpg', 'fastapi', 'starlette', 'httpx'} & {n.split('.')[0] for n in sys.modules}\n"
        "print(sorted(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
