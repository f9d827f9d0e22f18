"""Formula-safe CSV and XLSX downloads, streamed (auditors open them in Excel or WPS).

Cell escaping follows OWASP's CSV-injection advice: a text cell beginning with ``=``, ``+``, ``-``, ``@``,
a TAB or a CR is prefixed with a single quote, so a spreadsheet shows it as text and never runs it; in XLSX
every text cell is also written as a string cell, never a formula. CSV is UTF-8 with a byte-order mark so
Excel reads the Chinese headers. The one place exports are written (h11a's shared writer replaces it on
merge).
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from datetime import date, datetime
from enum import StrEnum

from fastapi.responses import StreamingResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell as SheetCell

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
Cell = str | int | date | datetime | None
CHUNK = 1 << 16


def neutralised(value: Cell) -> str | int | None:
    """The cell as written: text that a spreadsheet would read as a formula gets a leading quote."""
    if value is None or isinstance(value, int):
        return value
    text = value.isoformat() if isinstance(value, date | datetime) else value
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


async def csv_stream(headers: Sequence[str], rows: AsyncIterable[Sequence[Cell]]) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([neutralised(h) for h in headers])
    async for row in rows:
        writer.writerow([neutralised(v) for v in row])
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


async def xlsx_stream(
    title: str, headers: Sequence[str], rows: AsyncIterable[Sequence[Cell]]
) -> AsyncIterator[bytes]:
    """openpyxl's write-only workbook keeps rows out of memory; the finished file (a zip, which cannot be
    sent before it is complete) is spooled to disk and sent in chunks."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])

    def cells(values: Sequence[Cell]) -> list[SheetCell]:
        written = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=neutralised(value))
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, never a formula
            written.append(cell)
        return written

    sheet.append(cells(headers))
    async for row in rows:
        sheet.append(cells(row))
    with tempfile.TemporaryFile() as spool:
        workbook.save(spool)
        spool.seek(0)
        while chunk := spool.read(CHUNK):
            yield chunk


class ExportFormat(StrEnum):
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


def download(
    fmt: ExportFormat,
    filename: str,
    title: str,
    headers: Sequence[str],
    rows: AsyncIterable[Sequence[Cell]],
) -> StreamingResponse:
    """A streamed CSV or XLSX attachment of ``rows`` under ``headers``."""
    if fmt is ExportFormat.csv:
        body, media_type, suffix = csv_stream(headers, rows), CSV_MEDIA_TYPE, "csv"
    else:
        body, media_type, suffix = xlsx_stream(title, headers, rows), XLSX_MEDIA_TYPE, "xlsx"
    return StreamingResponse(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}.{suffix}"'},
    )
