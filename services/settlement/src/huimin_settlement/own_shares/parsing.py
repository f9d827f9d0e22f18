"""Reading the social-insurance system's file of own-share payments: CSV (UTF-8 or GB18030) or XLSX,
checked for zip bombs before parsing (huimin_shared.sheets), every cell read as text (never a formula)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import IO, Any

from openpyxl import load_workbook

from huimin_settlement.bank.rules import decode
from huimin_settlement.own_shares import rules
from huimin_shared.sheets import UnsafeArchive, check_xlsx_archive

MAX_ROWS = 200_000


class UnreadableFile(ValueError):
    """The file as a whole cannot be read (a reason a clerk can act on)."""


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _records(header: list[str], rows: list[list[str]]) -> list[tuple[int, dict[str, str]]]:
    fields = [rules.field_of(name) for name in header]
    missing = [f for f in rules.REQUIRED if f not in fields]
    if missing:
        names = ", ".join(f"{f} ({rules.COLUMNS[f][0]})" for f in missing)
        raise UnreadableFile(f"missing columns: {names}")
    found = []
    for number, values in enumerate(rows, start=2):
        if not any(v.strip() for v in values):
            continue
        record = {f: v.strip() for f, v in zip(fields, values, strict=False) if f is not None}
        found.append((number, {k: v for k, v in record.items() if v or k in rules.REQUIRED}))
    if not found:
        raise UnreadableFile("no rows")
    if len(found) > MAX_ROWS:
        raise UnreadableFile(f"more than {MAX_ROWS:,} rows; split the file")
    return found


def read(raw: bytes) -> list[tuple[int, dict[str, str]]]:
    """(row number, {field: text}) per non-empty row; raises UnreadableFile."""
    if raw[:2] == b"PK":
        return _xlsx(io.BytesIO(raw))
    text = decode(raw)
    if text is None:
        raise UnreadableFile("the bytes are neither UTF-8 nor GB18030 text, nor an .xlsx workbook")
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise UnreadableFile(f"not a readable CSV file: {exc}") from exc
    if not rows:
        raise UnreadableFile("the file is empty")
    return _records(rows[0], rows[1:])


def _xlsx(binary: IO[bytes]) -> list[tuple[int, dict[str, str]]]:
    try:
        check_xlsx_archive(binary)
    except UnsafeArchive as exc:
        raise UnreadableFile(str(exc)) from exc
    try:
        workbook = load_workbook(binary, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several kinds for a file that is not a workbook
        raise UnreadableFile(f"not a readable .xlsx workbook: {type(exc).__name__}") from exc
    try:
        rows = [
            [_cell(v) for v in row]
            for row in workbook.worksheets[0].iter_rows(values_only=True, max_col=20, max_row=MAX_ROWS + 2)
        ]
    except Exception as exc:  # a damaged sheet: zip, XML or openpyxl errors
        raise UnreadableFile(f"the workbook's first sheet is not readable: {type(exc).__name__}") from exc
    finally:
        workbook.close()
    if not rows:
        raise UnreadableFile("the workbook's first sheet is empty")
    return _records(rows[0], rows[1:])
