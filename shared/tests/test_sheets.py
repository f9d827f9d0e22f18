"""Spreadsheets in and out: formula-safe CSV and XLSX (OWASP CSV injection) and the zip-bomb check."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from huimin_shared.sheets import (
    ArchiveLimits,
    UnsafeArchive,
    append_row,
    check_xlsx_archive,
    csv_bytes,
    looks_like_formula,
    neutralise,
    xlsx_bytes,
)

HOSTILE = ['=HYPERLINK("http://evil.example","x")', "=1+2", "@SUM(1)", "-2+3", "+1", "\tTAB", "\rCR", "＝1+2"]


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_like_text_is_neutralised_for_csv(text: str) -> None:
    assert looks_like_formula(text)
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["张三", "-25.00", "-3", "H-0001", "a=b", ""])
def test_ordinary_text_and_negative_amounts_are_left_alone(text: str) -> None:
    assert neutralise(text) == text


def test_csv_cells_come_out_as_text() -> None:
    data = csv_bytes(["姓名", "金额"], [[name, "-25.00"] for name in HOSTILE])
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["姓名", "金额"]
    assert [row[0] for row in rows[1:]] == ["'" + text for text in HOSTILE]
    assert {row[1] for row in rows[1:]} == {"-25.00"}


def _typed_cells(data: bytes) -> list[tuple[object, str]]:
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    return [(cell.value, cell.data_type) for row in sheet.iter_rows() for cell in row]


def test_xlsx_text_cells_are_never_formulas() -> None:
    """openpyxl stores any text starting with "=" as a formula unless told otherwise."""
    data = xlsx_bytes("t", ["姓名"], [[text] for text in HOSTILE])
    cells = _typed_cells(data)[1:]
    # the value is kept exactly (XML reads a carriage return as a line feed) …
    assert [value for value, _ in cells] == [text.replace("\r", "\n") for text in HOSTILE]
    assert {data_type for _, data_type in cells} == {"s"}  # … as a string, never "f"
    assert b"<f>" not in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")


def test_append_row_on_an_ordinary_sheet_types_text_as_text_and_keeps_numbers() -> None:
    workbook = Workbook()
    sheet = workbook.worksheets[0]
    append_row(sheet, ["=1+2", 3, "@SUM(1)"])
    out = io.BytesIO()
    workbook.save(out)
    assert _typed_cells(out.getvalue()) == [("=1+2", "s"), (3, "n"), ("@SUM(1)", "s")]


def _zip(members: dict[str, bytes]) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    buffer.seek(0)
    return buffer


def test_a_zip_bomb_is_refused_from_its_directory_before_anything_inflates() -> None:
    bomb = _zip({"xl/worksheets/sheet1.xml": b"A" * (64 * 1024 * 1024)})  # 64 MiB → ~64 KiB
    assert len(bomb.getvalue()) < 200_000
    with pytest.raises(UnsafeArchive, match="zip bomb"):
        check_xlsx_archive(bomb)
    assert bomb.tell() == 0  # left where it was for the reader


def test_a_workbook_inflating_beyond_the_total_cap_is_refused() -> None:
    archive = _zip(
        {f"xl/part{n}.xml": bytes(range(256)) * 4096 for n in range(3)}
    )  # 3 MiB, incompressible-ish
    with pytest.raises(UnsafeArchive, match="inflate"):
        check_xlsx_archive(archive, ArchiveLimits(max_total_bytes=2 * 1024 * 1024, max_ratio=10_000))


def test_a_real_workbook_passes_the_archive_check() -> None:
    data = xlsx_bytes("t", ["姓名", "社区"], [[f"居民{n}", f"社区{n % 50}"] for n in range(20_000)])
    check_xlsx_archive(io.BytesIO(data))


def test_something_that_is_not_a_zip_is_refused() -> None:
    with pytest.raises(UnsafeArchive, match="not a readable"):
        check_xlsx_archive(io.BytesIO(b"PK\x03\x04 not really"))
