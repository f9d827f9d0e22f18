"""Spreadsheet files in and out, safely: formula-safe CSV and XLSX writers, and an XLSX archive check.

Formula injection (OWASP "CSV injection"): a cell whose text begins with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return is run as a formula by Excel, LibreOffice and WPS when the file is opened — a
resident named ``=HYPERLINK("http://…","x")`` becomes a live link. So every export writes such text as
text:
- CSV: the cell gets a leading apostrophe (``'=1+2``), which spreadsheet programs show as text;
- XLSX: the cell is written with the string data type (openpyxl would otherwise store any text starting
  with ``=`` as a formula); the value itself is kept exactly, a string cell is never evaluated.
A plain negative number (``-25.00``) is a number, not a formula, and is left alone so amounts stay
amounts. The full-width forms (``＝ ＋ － ＠``) are treated like the ASCII ones: some spreadsheet programs
convert them on input.

Zip bombs: an XLSX is a zip archive; ``check_xlsx_archive`` reads only its directory and refuses one that
would inflate beyond a cap, or whose members compress suspiciously well, before any XML is parsed.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
_PLAIN_NEGATIVE_NUMBER = re.compile(r"-[0-9]+(\.[0-9]+)?")

CellValue = str | int | float | Decimal | date | datetime | None


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet program would run ``text`` as a formula (or a DDE command)."""
    return text.startswith(FORMULA_TRIGGERS) and _PLAIN_NEGATIVE_NUMBER.fullmatch(text) is None


def neutralise(text: str) -> str:
    """The text a CSV cell must hold so that it is shown, not run: a leading apostrophe when needed."""
    return "'" + text if looks_like_formula(text) else text


def _csv_cell(value: CellValue) -> CellValue:
    return neutralise(value) if isinstance(value, str) else value


def csv_bytes(
    header: Sequence[str],
    rows: Iterable[Sequence[CellValue]],
    *,
    encoding: str = "utf-8-sig",
    lineterminator: str = "\r\n",
) -> bytes:
    """A formula-safe CSV file: header, then rows. ``utf-8-sig`` carries a byte-order mark, so Excel reads
    Chinese headers correctly; ``gb18030`` suits GBK tools."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=lineterminator)
    writer.writerow([_csv_cell(name) for name in header])
    writer.writerows([_csv_cell(value) for value in row] for row in rows)
    return buffer.getvalue().encode(encoding)


def append_row(sheet: Worksheet | WriteOnlyWorksheet, values: Sequence[CellValue]) -> None:
    """Append a row to an openpyxl sheet with every text cell typed as text (never a formula)."""
    if isinstance(sheet, WriteOnlyWorksheet):
        cells: list[Any] = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=value)  # type: ignore[arg-type]  # openpyxl takes Decimal and date too
            if isinstance(value, str):
                cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
        return
    sheet.append(list(values))
    for written in sheet[sheet.max_row]:
        if isinstance(written.value, str):
            written.data_type = "s"


def xlsx_bytes(title: str, header: Sequence[str], rows: Iterable[Sequence[CellValue]]) -> bytes:
    """A one-sheet, formula-safe workbook written in streaming (write-only) mode."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title)
    append_row(sheet, header)
    for row in rows:
        append_row(sheet, row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    """What an uploaded workbook may inflate to. 1,000,000 residents' rows come to about 200 MB of XML."""

    max_total_bytes: int = 512 * 1024 * 1024
    max_member_bytes: int = 400 * 1024 * 1024
    max_members: int = 1000
    # Real sheets compress 5–20×; a zip bomb thousands of times. Small members are not ratio-checked.
    max_ratio: int = 200
    ratio_checked_from_bytes: int = 1024 * 1024


class UnsafeArchive(ValueError):
    """The workbook's archive is malformed or would inflate beyond the limits (a reason a clerk can read)."""


def check_xlsx_archive(binary: IO[bytes], limits: ArchiveLimits = ArchiveLimits()) -> None:
    """Refuse a workbook whose zip directory promises too much, before anything is decompressed.

    The directory's sizes are what the archive claims; openpyxl reads members through ``zipfile``, which
    stops at the claimed size and fails on a mismatch, so the claim bounds what parsing can inflate.
    """
    position = binary.tell()
    try:
        with zipfile.ZipFile(binary) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise UnsafeArchive(f"not a readable .xlsx workbook: {type(exc).__name__}") from exc
    finally:
        binary.seek(position)
    if len(members) > limits.max_members:
        raise UnsafeArchive(
            f"the workbook's archive holds {len(members)} parts; at most {limits.max_members}"
        )
    total = 0
    for member in members:
        total += member.file_size
        if member.file_size > limits.max_member_bytes:
            raise UnsafeArchive(
                f"the workbook part {member.filename[:100]!r} would inflate to {member.file_size:,} bytes; "
                f"at most {limits.max_member_bytes:,}"
            )
        if member.file_size >= limits.ratio_checked_from_bytes and member.file_size > limits.max_ratio * max(
            member.compress_size, 1
        ):
            raise UnsafeArchive(
                f"the workbook part {member.filename[:100]!r} compresses {member.file_size // max(member.compress_size, 1):,}"
                f" to 1; a real sheet compresses at most {limits.max_ratio} to 1 (a zip bomb?)"
            )
    if total > limits.max_total_bytes:
        raise UnsafeArchive(
            f"the workbook would inflate to {total:,} bytes; at most {limits.max_total_bytes:,}"
        )
