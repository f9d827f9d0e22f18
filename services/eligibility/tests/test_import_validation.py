"""Bulk validation of import rows (validation.validate_batch, Arrow kernels for the plain rows) gives every
row exactly what the row rule (validation.validate_row) gives it: the same typed values, or the same
rejection reason and masked ID number — E1 (ID numbers, GB 11643), E2 (categories, periods), region
limits, control characters. Hypothesis mixes plain rows with every odd form the rule reads or refuses."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huimin_eligibility.imports import validation
from huimin_eligibility.imports.validation import (
    CATEGORY_ALIASES,
    FIELDS,
    Door,
    rejection,
    rows_to_batch,
    validate_batch,
    validate_row,
)
from huimin_shared.idnumber import check_character

# E1 at the door, fixed so generated birth dates fall on both sides of "today"
DOOR = Door(cities=("210500", "510100"), today=date(2026, 12, 2))


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    born = draw(st.dates(date(1795, 1, 1), date(2205, 12, 31)))
    first_17 = (
        f"{draw(st.sampled_from(['210502', '210503', '510104']))}{born:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    )
    number = first_17 + check_character(first_17)
    mutation = draw(st.sampled_from(["none", "none", "none", "check", "lower", "fifteen", "wide", "short"]))
    if mutation == "check":
        number = number[:17] + ("0" if number[17] != "0" else "1")
    elif mutation == "lower":
        number = number.lower()
    elif mutation == "fifteen":
        number = number[:6] + number[8:17]
    elif mutation == "wide":
        number = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in number)
    elif mutation == "short":
        number = number[:-1]
    return number


@st.composite
def dates(draw: st.DrawFn, required: bool) -> str:
    day = draw(st.dates(date(1790, 1, 1), date(2210, 12, 31)))
    form = draw(st.sampled_from(["iso", "iso", "iso", "slash", "compact", "bad_day", "blank", "junk"]))
    if form == "blank" and required:
        form = "iso"
    return {
        "iso": day.isoformat(),
        "slash": day.strftime("%Y/%m/%d"),
        "compact": day.strftime("%Y%m%d"),
        "bad_day": f"{day.year}-02-30",
        "blank": "",
        "junk": "2009-13-01",
    }[form]


rows = st.fixed_dictionaries(
    {
        "id_number": id_numbers(),
        "name": st.sampled_from(["张三", "李\x00四", "", "名" * 101, "王五"]),
        "region_code": st.sampled_from(["210502", "210521", "210500", "210000", "21050A", "", "510104"]),
        "community": st.sampled_from(["平山区东明社区", "", "社" * 100]),
        "household": st.sampled_from(["H1", "H-0001", ""]),
        "category": st.sampled_from([*CATEGORY_ALIASES, "五保", ""]),
        "valid_from": dates(required=True),
        "valid_to": st.one_of(st.just(""), dates(required=False)),
        "employee_insurance_since": st.one_of(st.just(""), dates(required=False)),
        "authority": st.sampled_from(["", "平山区民政局", "局" * 250]),
        "evidence_ref": st.sampled_from(["", "平民低〔2009〕1号"]),
    }
)


def _expected(number: int, raw: dict[str, str], region_limit: str | None) -> dict[str, object]:
    checked = validate_row(number, raw, region_limit, DOOR)
    if isinstance(checked, str):
        return rejection(number, raw, checked)
    return {
        "row_number": number,
        "id_number": checked.id_number,
        "birth_date": checked.birth_date,
        "sex": checked.sex,
        "name": checked.name,
        "region_code": checked.region_code,
        "community": checked.community,
        "household": checked.household,
        "category": checked.category.value,
        "valid_from": checked.valid_from,
        "valid_to": checked.valid_to,
        "employee_insurance_since": checked.employee_insurance_since,
        "authority": checked.authority,
        "evidence_ref": checked.evidence_ref,
        "id_number_masked": None,
        "reason": None,
        "warning": checked.warning,
    }


@settings(max_examples=300, deadline=None)
@given(
    batch=st.lists(rows, min_size=1, max_size=30), region_limit=st.sampled_from([None, "210502", "210500"])
)
def test_bulk_validation_gives_each_row_what_the_row_rule_gives_it(
    batch: list[dict[str, str]], region_limit: str | None
) -> None:
    numbered = [(number, raw) for number, raw in enumerate(batch, start=2)]
    staged = validate_batch(rows_to_batch(numbered, FIELDS), region_limit, DOOR).to_pylist()
    assert staged == [_expected(number, raw, region_limit) for number, raw in numbered]


def test_plain_rows_are_typed_in_bulk_without_the_row_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path is taken: a plain row comes out typed by the Arrow kernels alone (the row rule,
    made to fail here, is not called)."""
    first_17 = "21050219800101123"
    raw = {
        "id_number": first_17 + check_character(first_17),
        "name": "张三",
        "region_code": "210502",
        "community": "平山区东明社区",
        "household": "H1",
        "category": "低保",
        "valid_from": "2009-06-01",
        "valid_to": (date(2009, 6, 1) + timedelta(days=365)).isoformat(),
        "employee_insurance_since": "",
        "authority": "",
        "evidence_ref": "x",
    }
    expected = _expected(2, raw, None)

    def not_called(*args: object) -> None:
        raise AssertionError("a plain row went through the row rule")

    monkeypatch.setattr(validation, "validate_row", not_called)
    staged = validate_batch(rows_to_batch([(2, raw)], FIELDS), None, DOOR).to_pylist()
    assert staged == [expected]
    assert staged[0]["category"] == "dibao"
    assert staged[0]["authority"] is None
