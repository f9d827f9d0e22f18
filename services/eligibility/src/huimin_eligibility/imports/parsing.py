"""Reading a civil-affairs roster file (CSV in UTF-8 or GBK, or XLSX) into columnar batches of rows."""

from __future__ import annotations

import codecs
import csv
import io
import sys
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from openpyxl import load_workbook

from huimin_eligibility.imports.validation import RawBatch, rows_to_batch
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


class IrregularFile(Exception):
    """The fast reader met something only the careful one reads as the csv module does (a blank line, a
    short or long row, a field over the csv module's limit, odd quoting): read the file again carefully."""


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


def _field_order(mapped: list[str | None]) -> list[str]:
    """The fields of a row as the row dict holds them: first appearance order (a repeated column's last
    value wins, as in a dict built left to right)."""
    return list(dict.fromkeys(field for field in mapped if field is not None))


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


def read_batches(binary: IO[bytes], fmt: str, *, careful: bool = False) -> Iterator[RawBatch]:
    """The file's non-empty data rows as columnar batches (row numbers as a clerk sees them in the file:
    the header is row 1), every cell stripped as ``str.strip`` does.

    CSV is read by Arrow's reader unless ``careful``; where it meets something it might read otherwise than
    the csv module does it raises IrregularFile (call again with ``careful=True``: the csv module, row by
    row). A file that breaks off mid-way (a CSV field over the csv module's 128 KiB limit, a truncated or
    damaged workbook) raises UnreadableFile naming the row, never anything else."""
    if fmt == "xlsx":
        yield from _batches(_xlsx_rows(binary))
    elif careful:
        yield from _batches(_csv_rows(binary))
    else:
        yield from _arrow_csv_batches(binary)


BATCH_ROWS = 50_000
_ZERO, _ONE = pa.scalar(0, pa.int64()), pa.scalar(1, pa.int64())
# Python's str.strip() set (Unicode White_Space plus the C0 separators \x1c-\x1f), for Arrow's trim.
_WHITESPACE = "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())


def _batches(rows: Iterator[tuple[list[str], int, dict[str, str]]]) -> Iterator[RawBatch]:
    chunk: list[tuple[int, dict[str, str]]] = []
    fields: list[str] = []
    for fields, number, raw in rows:
        chunk.append((number, raw))
        if len(chunk) == BATCH_ROWS:
            yield rows_to_batch(chunk, fields)
            chunk = []
    if chunk:
        yield rows_to_batch(chunk, fields)


def _read_header(binary: IO[bytes], encoding: str) -> list[str]:
    text = io.TextIOWrapper(binary, encoding=encoding, newline="")
    try:
        return next(csv.reader(text))
    except StopIteration as exc:
        raise UnreadableFile("the file is empty") from exc
    except UnicodeDecodeError as exc:
        raise UnreadableFile("the file is neither UTF-8 nor GBK text") from exc
    except csv.Error as exc:
        raise UnreadableFile(f"the header row is not CSV: {exc}") from exc
    finally:
        text.detach()
        binary.seek(0)


def _arrow_csv_batches(binary: IO[bytes]) -> Iterator[RawBatch]:
    encoding = _encoding(binary)
    header = _read_header(binary, encoding)
    mapped = _map_header(header)
    fields = _field_order(mapped)
    source = {field: max(i for i, f in enumerate(mapped) if f == field) for field in fields}

    def irregular(row: pacsv.InvalidRow) -> str:
        return "error"  # Arrow raises ArrowInvalid, read below as IrregularFile

    try:
        reader = pacsv.open_csv(
            binary,
            read_options=pacsv.ReadOptions(
                encoding="utf8" if encoding == "utf-8-sig" else encoding,
                autogenerate_column_names=True,
                block_size=2 << 20,
            ),
            parse_options=pacsv.ParseOptions(
                newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=irregular
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={f"f{i}": pa.string() for i in range(len(header))},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        limit = csv.field_size_limit()
        number = 0  # the header is record 1
        for record_batch in reader:
            columns = record_batch.columns
            if len(columns) != len(header):
                raise IrregularFile("the column count changed")
            for column in columns:
                if len(column) and pc.max(pc.utf8_length(column)).as_py() > limit:
                    raise IrregularFile("a field over the csv module's limit")
            numbers = pa.array(range(number + 1, number + 1 + len(record_batch)), pa.int64())
            number += len(record_batch)
            trimmed = [pc.utf8_trim(column, characters=_WHITESPACE) for column in columns]
            keep = pa.array([False] * len(record_batch), pa.bool_())
            for column in trimmed:
                keep = pc.or_(keep, pc.greater(pc.utf8_length(column), _ZERO))
            if numbers[0].as_py() == 1:  # the header row itself
                keep = pc.and_(keep, pc.not_equal(numbers, _ONE))
            yield RawBatch(
                row_numbers=numbers.filter(keep),
                columns={field: trimmed[source[field]].filter(keep) for field in fields},
            )
    except IrregularFile:
        raise
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise IrregularFile(str(exc)) from exc


def _csv_rows(binary: IO[bytes]) -> Iterator[tuple[list[str], int, dict[str, str]]]:
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
    mapped = _map_header(header)
    fields = _field_order(mapped)
    number = 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise UnreadableFile(f"row {number + 1} is not readable CSV: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise UnreadableFile(f"row {number + 1} is neither UTF-8 nor GBK text") from exc
        number += 1
        if any(v.strip() for v in values):
            yield (
                fields,
                number,
                {f: v.strip() for f, v in zip(mapped, values, strict=False) if f is not None},
            )


def _xlsx_rows(binary: IO[bytes]) -> Iterator[tuple[list[str], int, dict[str, str]]]:
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
        mapped = _map_header(header)
        fields = _field_order(mapped)
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
                yield fields, number, {f: v for f, v in zip(mapped, cells, strict=False) if f is not None}
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
