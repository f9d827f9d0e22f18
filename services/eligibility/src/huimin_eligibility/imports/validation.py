"""Row validation of a roster import — the one place a row is judged before the register is read.

``validate_row`` (rowrule.py) is the rule: a row (field → stripped text) becomes typed values or the reason it is
rejected (pure; no database). ``validate_batch`` applies it to a columnar batch of rows at bulk speed:
vectorised Arrow kernels recognise the *plain* rows — ASCII 18-character ID numbers, ISO dates between
1800 and 2199, known category names, a district or county code — and type them in bulk; every other row
(a 15-digit or full-width ID number, another date form, anything wrong) goes through ``validate_row``
itself, so its reason is word for word the rule's. The plain-row filter may only ever be narrower than
``validate_row``: a check added to ``validate_row`` must also narrow ``_plain`` (tests/test_import_validation.py
proves the two agree on generated rows).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from huimin_eligibility import divisions
from huimin_eligibility.imports.rowrule import (
    CATEGORY_ALIASES,
    MAX_REFERENCE,
    MAX_TEXT,
    Door,
    ImportRowData,
    validate_row,
)
from huimin_shared import areas, idnumber

__all__ = [
    "CATEGORY_ALIASES",
    "FIELDS",
    "STAGED_COLUMNS",
    "Door",
    "RawBatch",
    "rejection",
    "rows_to_batch",
    "validate_batch",
    "validate_row",
]

# --- bulk ----------------------------------------------------------------------------------------------

# The columns of a staged row (imports/models.py StagedRow), in COPY order.
STAGED_COLUMNS = (
    "row_number",
    "id_number",
    "birth_date",
    "sex",
    "name",
    "region_code",
    "community",
    "household",
    "category",
    "valid_from",
    "valid_to",
    "employee_insurance_since",
    "authority",
    "evidence_ref",
    "id_number_masked",
    "reason",
    "warning",
)
FIELDS = (
    "id_number",
    "name",
    "region_code",
    "community",
    "household",
    "category",
    "valid_from",
    "valid_to",
    "employee_insurance_since",
    "authority",
    "evidence_ref",
)


@dataclass(frozen=True, slots=True)
class RawBatch:
    """Rows of a file as columns of stripped text: ``fields`` in the file's column order (a field the file
    lacks is absent), every column as long as ``row_numbers``."""

    row_numbers: pa.Array
    columns: dict[str, pa.Array]

    def __len__(self) -> int:
        return len(self.row_numbers)

    def row(self, index: int) -> dict[str, str]:
        return {name: column[index].as_py() for name, column in self.columns.items()}


def _lit(value: object, type_: pa.DataType) -> pa.Scalar:
    """A literal for a kernel: built once (a bare Python value is converted on every call, slowly)."""
    return pa.scalar(value, type_)


_ZERO, _ONE, _TWO = _lit(0, pa.int64()), _lit(1, pa.int64()), _lit(2, pa.int64())
_EMPTY_TEXT, _DASH = _lit("", pa.string()), _lit("-", pa.string())
_SOME_DAY = _lit("2000-01-01", pa.string())
_MALE, _FEMALE = _lit("male", pa.string()), _lit("female", pa.string())
_MAX_TEXT = _lit(MAX_TEXT, pa.int64())
_NO_TEXT, _NO_DATE = _lit(None, pa.string()), _lit(None, pa.date32())
_ID_PLAIN = r"^[0-9]{17}[0-9X]$"
_ISO_DATE = r"^(1[89]|2[01])[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
_DISTRICT_OR_COUNTY = r"^[1-9][0-9]{3}([0-9][1-9]|[1-9][0-9])$"  # not NN0000 / NNNN00 (areas.level_of)
_CONTROL = r"[\x00-\x08\x0b-\x1f\x7f]"
_FORMULA_LIKE = r"^\s*[=+\-@\t\r]"  # any cell a spreadsheet might run: validate_row decides (formula_problem)
_WEIGHTS = idnumber.WEIGHTS
_CHECKS = pa.array(list(idnumber.CHECK_CHARACTERS))
_DUMMY_ID = _lit("0" * 18, pa.string())
_WEIGHT_SCALARS = [_lit(w, pa.int64()) for w in _WEIGHTS]
_DIVISORS = {d: _lit(d, pa.int64()) for d in (4, 11, 100, 400)}


def _mod(values: pa.Array, divisor: int) -> pa.Array:
    d = _DIVISORS[divisor]
    return pc.subtract(values, pc.multiply(pc.divide(values, d), d))


_DAYS_IN_MONTH = pa.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], pa.int64())


def _real_iso_date(text: pa.Array) -> tuple[pa.Array, pa.Array]:
    """(is a real date in 1800–2199 written YYYY-MM-DD, the date or null)."""
    shaped = pc.fill_null(pc.match_substring_regex(text, _ISO_DATE), False)
    candidate = pc.if_else(shaped, text, _SOME_DAY)
    year = pc.cast(pc.utf8_slice_codeunits(candidate, 0, 4), pa.int64())
    month = pc.cast(pc.utf8_slice_codeunits(candidate, 5, 7), pa.int64())
    day = pc.cast(pc.utf8_slice_codeunits(candidate, 8, 10), pa.int64())
    leap = pc.and_(
        pc.equal(_mod(year, 4), _ZERO),
        pc.or_(pc.not_equal(_mod(year, 100), _ZERO), pc.equal(_mod(year, 400), _ZERO)),
    )
    last_day = pc.add(
        pc.take(_DAYS_IN_MONTH, month), pc.cast(pc.and_(leap, pc.equal(month, _TWO)), pa.int64())
    )
    real = pc.and_(shaped, pc.less_equal(day, last_day))
    parsed = pc.cast(pc.if_else(real, candidate, _SOME_DAY), pa.date32())
    return real, pc.if_else(real, parsed, _NO_DATE)


def _served(cities: tuple[str, ...]) -> pa.Array:
    """The district and county codes of the deployment's cities in the division list (E1)."""
    return pa.array(
        sorted(
            code
            for code, division in divisions.divisions().items()
            if division.level in ("district", "county") and any(code[:4] == city[:4] for city in cities)
        ),
        pa.string(),
    )


def _plain(batch: RawBatch, region_limit: str | None, door: Door) -> tuple[pa.Array, dict[str, pa.Array]]:
    """Which rows ``validate_row`` accepts as written, with no warning (the plain form), and their typed
    columns."""
    n = len(batch)
    empty = pa.array([""] * n, pa.string()) if n else pa.array([], pa.string())
    col = {name: batch.columns.get(name, empty) for name in FIELDS}
    # Any control character in any cell (one pass over the row's cells joined; validate_row names the cell).
    cells = pc.binary_join_element_wise(*batch.columns.values(), _EMPTY_TEXT) if batch.columns else empty
    ok = pc.invert(pc.match_substring_regex(cells, _CONTROL))
    for column in batch.columns.values():  # formula-like cells are never plain: the row rule judges them
        formula_like = pc.fill_null(pc.match_substring_regex(column, _FORMULA_LIKE), False)
        ok = pc.and_(ok, pc.invert(formula_like))

    ids = col["id_number"]
    id_shaped = pc.match_substring_regex(ids, _ID_PLAIN)
    safe_ids = pc.if_else(id_shaped, ids, _DUMMY_ID)
    total = pa.array([0] * n, pa.int64())
    for position, weight in enumerate(_WEIGHT_SCALARS):
        digit = pc.cast(pc.utf8_slice_codeunits(safe_ids, position, position + 1), pa.int64())
        total = pc.add(total, pc.multiply(digit, weight))
    expected = pc.take(_CHECKS, _mod(total, 11))
    check_ok = pc.equal(pc.utf8_slice_codeunits(safe_ids, 17, 18), expected)
    birth_text = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(safe_ids, 6, 10),
        pc.utf8_slice_codeunits(safe_ids, 10, 12),
        pc.utf8_slice_codeunits(safe_ids, 12, 14),
        _DASH,
    )
    birth_real, birth_date = _real_iso_date(birth_text)
    ok = pc.and_(ok, pc.and_(id_shaped, pc.and_(check_ok, birth_real)))
    # E1 at the door: born by today, an area code beginning with a province's code
    ok = pc.and_(ok, pc.fill_null(pc.less_equal(birth_date, pa.scalar(door.today, pa.date32())), False))
    provinces = pa.array(sorted(divisions.province_prefixes()), pa.string())
    ok = pc.and_(ok, pc.is_in(pc.utf8_slice_codeunits(safe_ids, 0, 2), value_set=provinces))

    for name in ("name", "community", "household"):
        length = pc.utf8_length(col[name])
        ok = pc.and_(ok, pc.and_(pc.greater(length, _ZERO), pc.less_equal(length, _MAX_TEXT)))
    region = col["region_code"]
    ok = pc.and_(ok, pc.match_substring_regex(region, _DISTRICT_OR_COUNTY))
    ok = pc.and_(ok, pc.is_in(region, value_set=_served(door.cities)))
    if region_limit is not None:
        prefix = areas.prefix_of(region_limit)
        ok = pc.and_(ok, pc.starts_with(region, prefix))
    aliases = pa.array(list(CATEGORY_ALIASES))
    values = pa.array([c.value for c in CATEGORY_ALIASES.values()])
    index = pc.index_in(col["category"], value_set=aliases)
    ok = pc.and_(ok, pc.is_valid(index))
    category = pc.take(values, index)

    valid_from_real, valid_from = _real_iso_date(col["valid_from"])
    ok = pc.and_(ok, valid_from_real)
    optional: dict[str, pa.Array] = {}
    for name in ("valid_to", "employee_insurance_since"):
        blank = pc.equal(pc.utf8_length(col[name]), _ZERO)
        real, parsed = _real_iso_date(col[name])
        ok = pc.and_(ok, pc.or_(blank, real))
        optional[name] = parsed
    ok = pc.and_(ok, pc.fill_null(pc.greater_equal(optional["valid_to"], valid_from), True))
    ok = pc.and_(ok, pc.fill_null(pc.greater_equal(valid_from, birth_date), False))
    # A row that would carry a "never assessed" warning is judged by the row rule, which words it: certified
    # from or after employee insurance began, or ending before the latest first day of any pack (a narrower
    # test than the rule's own, which asks only about the place's pack).
    employee = optional["employee_insurance_since"]
    ok = pc.and_(ok, pc.invert(pc.fill_null(pc.greater_equal(valid_from, employee), False)))
    latest_start = max((pack.effective_from for pack in divisions.calendar().packs), default=None)
    if latest_start is not None:
        ends_early = pc.less(optional["valid_to"], pa.scalar(latest_start, pa.date32()))
        ok = pc.and_(ok, pc.invert(pc.fill_null(ends_early, False)))
    ok = pc.fill_null(ok, False)

    odd = pc.equal(
        pc.bit_wise_and(pc.cast(pc.utf8_slice_codeunits(safe_ids, 16, 17), pa.int64()), _ONE), _ONE
    )

    def reference(name: str) -> pa.Array:
        cut = pc.utf8_slice_codeunits(col[name], 0, MAX_REFERENCE)
        return pc.if_else(pc.equal(pc.utf8_length(cut), _ZERO), _NO_TEXT, cut)

    typed = {
        "id_number": ids,
        "birth_date": birth_date,
        "sex": pc.if_else(odd, _MALE, _FEMALE),
        "name": col["name"],
        "region_code": region,
        "community": col["community"],
        "household": col["household"],
        "category": category,
        "valid_from": valid_from,
        "valid_to": optional["valid_to"],
        "employee_insurance_since": optional["employee_insurance_since"],
        "authority": reference("authority"),
        "evidence_ref": reference("evidence_ref"),
    }
    return ok, typed


STAGED_SCHEMA = pa.schema(
    [
        ("row_number", pa.int32()),
        ("id_number", pa.string()),
        ("birth_date", pa.date32()),
        ("sex", pa.string()),
        ("name", pa.string()),
        ("region_code", pa.string()),
        ("community", pa.string()),
        ("household", pa.string()),
        ("category", pa.string()),
        ("valid_from", pa.date32()),
        ("valid_to", pa.date32()),
        ("employee_insurance_since", pa.date32()),
        ("authority", pa.string()),
        ("evidence_ref", pa.string()),
        ("id_number_masked", pa.string()),
        ("reason", pa.string()),
        ("warning", pa.string()),
    ]
)


def _row_of(data: ImportRowData) -> dict[str, object]:
    return {
        "row_number": data.row_number,
        "id_number": data.id_number,
        "birth_date": data.birth_date,
        "sex": data.sex,
        "name": data.name,
        "region_code": data.region_code,
        "community": data.community,
        "household": data.household,
        "category": data.category.value,
        "valid_from": data.valid_from,
        "valid_to": data.valid_to,
        "employee_insurance_since": data.employee_insurance_since,
        "authority": data.authority,
        "evidence_ref": data.evidence_ref,
        "id_number_masked": None,
        "reason": None,
        "warning": data.warning,
    }


def rejection(row_number: int, raw: Mapping[str, str], reason: str) -> dict[str, object]:
    """A rejected row as staged: its masked ID number if the cell holds a valid one, and the reason."""
    candidate = raw.get("id_number", "")
    return {
        **dict.fromkeys(STAGED_COLUMNS),
        "row_number": row_number,
        "id_number_masked": idnumber.mask(candidate) if idnumber.is_valid(candidate) else None,
        "reason": idnumber.mask_in_text(reason),
    }


def validate_batch(batch: RawBatch, region_limit: str | None, door: Door) -> pa.Table:
    """Every row of ``batch`` as a staged row (STAGED_SCHEMA): typed values (with a warning when it can
    never be assessed), or the reason it is rejected."""
    ok, typed = _plain(batch, region_limit, door)
    plain = pa.table({"row_number": pc.cast(batch.row_numbers, pa.int32()), **typed}).filter(ok)
    plain = plain.append_column("id_number_masked", pa.nulls(len(plain), pa.string()))
    plain = plain.append_column("reason", pa.nulls(len(plain), pa.string()))
    plain = plain.append_column("warning", pa.nulls(len(plain), pa.string()))
    others: list[dict[str, object]] = []
    for index in pc.indices_nonzero(pc.invert(ok)).to_pylist():
        raw = batch.row(index)
        number = batch.row_numbers[index].as_py()
        checked = validate_row(number, raw, region_limit, door)
        others.append(rejection(number, raw, checked) if isinstance(checked, str) else _row_of(checked))
    if not others:
        return plain.cast(STAGED_SCHEMA)
    rest = pa.Table.from_pylist(others, schema=STAGED_SCHEMA)
    return pa.concat_tables([plain.cast(STAGED_SCHEMA), rest]).sort_by("row_number")


def rows_to_batch(rows: Sequence[tuple[int, dict[str, str]]], fields: Sequence[str]) -> RawBatch:
    """A batch from rows read one by one (the careful reader): a field a short row lacks is blank."""
    return RawBatch(
        row_numbers=pa.array([number for number, _ in rows], pa.int64()),
        columns={name: pa.array([raw.get(name, "") for _, raw in rows], pa.string()) for name in fields},
    )
