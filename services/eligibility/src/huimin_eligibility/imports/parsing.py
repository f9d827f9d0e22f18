"""Reading a civil-affairs roster file (CSV in UTF-8 or GBK, or XLSX) into plain rows, one at a time."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from openpyxl import load_workbook

from huimin_shared.sheets import UnsafeArchive, check_xlsx_archive
from huimin_shared.synthetic import SyntheticResident

# Column headers accepted, Chinese (as on the detail sheet) or English, mapped to field names.
HEADERS: dict[str, str] = {
    "公民身份号码": "id_number",
    "身份证号": "id_number",
    "身份证号码": "id_number",
    "id_number": "id_number",
    "姓名": "name",
    "name": "name",
    "区县代码": "region_code",
    "所属区县代码": "region_code",
    "region_code": "region_code",
    "社区": "community",
    "community": "community",
    "户号": "household",
    "household": "household",
    "类别": "category",
    "救助类别": "category",
    "category": "category",
    "认定日期": "valid_from",
    "valid_from": "valid_from",
    "退出日期": "valid_to",
    "valid_to": "valid_to",
    "职工医保参保日期": "employee_insurance_since",
    "employee_insurance_since": "employee_insurance_since",
    "认定机关": "authority",
    "authority": "authority",
    "证明文号": "evidence_ref",
    "evidence_ref": "evidence_ref",
}
REQUIRED = ("id_number", "name", "region_code", "community", "household", "category", "valid_from")
CSV_COLUMNS = (
    ("公民身份号码", "id_number"),
    ("姓名", "name"),
    ("区县代码", "region_code"),
    ("社区", "community"),
    ("户号", "household"),
    ("类别", "category"),
    ("认定日期", "valid_from"),
    ("退出日期", "valid_to"),
    ("职工医保参保日期", "employee_insurance_since"),
    ("认定机关", "authority"),
    ("证明文号", "evidence_ref"),
)


# Caps on what a workbook may hold; the archive check (zip bomb) comes first, before any XML is parsed.
MAX_XLSX_COLUMNS = 64  # the roster has 11 columns; more are read as blank
MAX_XLSX_ROWS = 5_000_000


class UnreadableFile(ValueError):
    pass


def file_format(filename: str) -> str:
    suffix = Path(filename).suffix.lower()
    if suffix in (".csv", ".txt"):
        return "csv"
    if suffix == ".xlsx":
        return "xlsx"
    raise UnreadableFile(f"{filename}: send a .csv (UTF-8 or GBK) or .xlsx file")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _map_header(header: list[str]) -> list[str | None]:
    mapped = [HEADERS.get(name.strip().lstrip("\ufeff")) for name in header]
    missing = [field for field in REQUIRED if field not in mapped]
    if missing:
        raise UnreadableFile(f"the header row lacks the columns {', '.join(missing)}")
    return mapped


def _encoding(binary: IO[bytes]) -> str:
    """UTF-8 (with or without BOM) if the whole file decodes as UTF-8, else GBK (GB 18030, its superset)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := binary.read(1 << 20):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        encoding = "utf-8-sig"
    except UnicodeDecodeError:
        encoding = "gb18030"
    binary.seek(0)
    return encoding


def read_rows(binary: IO[bytes], fmt: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number as a clerk sees it in the file, {field: text}) for each non-empty data row.

    A file that breaks off mid-way (a CSV field over the csv module's 128 KiB limit, a truncated or damaged
    workbook) raises UnreadableFile naming the row, never anything else."""
    if fmt == "csv":
        yield from _csv_rows(binary)
    else:
        yield from _xlsx_rows(binary)


def _csv_rows(binary: IO[bytes]) -> Iterator[tuple[int, dict[str, str]]]:
    encoding = _encoding(binary)
    text = io.TextIOWrapper(binary, encoding=encoding, newline="")
    reader = csv.reader(text)
    try:
        header = next(reader)
    except StopIteration as exc:
        raise UnreadableFile("the file is empty") from exc
    except UnicodeDecodeError as exc:
        raise UnreadableFile("the file is neither UTF-8 nor GBK text") from exc
    except csv.Error as exc:
        raise UnreadableFile(f"the header row is not CSV: {exc}") from exc
    fields = _map_header(header)
    number = 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise UnreadableFile(f"row {number + 1} is not readable CSV: {exc}") from exc
        number += 1
        if any(v.strip() for v in values):
            yield number, {f: v.strip() for f, v in zip(fields, values, strict=False) if f is not None}


def _xlsx_rows(binary: IO[bytes]) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        check_xlsx_archive(binary)
    except UnsafeArchive as exc:
        raise UnreadableFile(str(exc)) from exc
    try:
        workbook = load_workbook(binary, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several kinds for a file that is not a workbook
        raise UnreadableFile(f"not a readable .xlsx workbook: {type(exc).__name__}") from exc
    try:
        try:
            sheet = workbook.worksheets[0]
            rows = sheet.iter_rows(values_only=True, max_col=MAX_XLSX_COLUMNS)
            header = [_cell(v) for v in next(rows)]
        except StopIteration as exc:
            raise UnreadableFile("the workbook's first sheet is empty") from exc
        except Exception as exc:  # a damaged sheet: zip, XML (ParseError) or openpyxl errors
            raise UnreadableFile(f"the workbook's first sheet is not readable: {type(exc).__name__}") from exc
        fields = _map_header(header)
        number = 1
        while True:
            try:
                values = next(rows)
            except StopIteration:
                return
            except Exception as exc:  # truncated or damaged after some rows
                raise UnreadableFile(
                    f"the workbook breaks off after row {number}: {type(exc).__name__}"
                ) from exc
            number += 1
            if number > MAX_XLSX_ROWS:
                raise UnreadableFile(f"the workbook has more than {MAX_XLSX_ROWS:,} rows; split it")
            cells = [_cell(v) for v in values]
            if any(cells):
                yield number, {f: v for f, v in zip(fields, cells, strict=False) if f is not None}
    finally:
        workbook.close()


def synthetic_csv_lines(residents: Iterable[SyntheticResident]) -> Iterator[str]:
    """A roster file in the import format for synthetic residents (demo, tests, bench): header, then one
    line per certification, streamed."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([header for header, _ in CSV_COLUMNS])
    for resident in residents:
        for cert in resident.certifications:
            writer.writerow(
                [
                    resident.id_number,
                    resident.name,
                    resident.region_code,
                    resident.community,
                    resident.household,
                    cert.category,
                    cert.valid_from.isoformat(),
                    cert.valid_to.isoformat() if cert.valid_to else "",
                    resident.employee_insurance_since.isoformat()
                    if resident.employee_insurance_since
                    else "",
                    "民政局",
                    f"民低〔{cert.valid_from.year}〕号",
                ]
            )
        yield out.getvalue()
        out.seek(0)
        out.truncate()
    if out.tell():
        yield out.getvalue()
