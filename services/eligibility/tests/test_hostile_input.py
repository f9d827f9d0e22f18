"""Hostile input (issue 11): formula injection through the monthly sheet and imports, XLSX zip bombs."""

from __future__ import annotations

import csv
import io
import zipfile

import httpx
from eligibility_helpers import CIVIL, certify, id_number
from openpyxl import load_workbook

from huimin_eligibility.imports.parsing import CSV_COLUMNS

HOSTILE_NAMES = ['=HYPERLINK("http://evil.example/?x","x")', "=1+2", "@SUM(1)", "-2+3", "+1"]
HEADER = ",".join(h for h, _ in CSV_COLUMNS)


async def _hostile_residents(client: httpx.AsyncClient) -> list[str]:
    numbers = []
    for sequence, name in enumerate(HOSTILE_NAMES, start=401):
        number = id_number("210502", "19800101", sequence)
        response = await client.post(
            "/v1/residents",
            json={
                "id_number": number,
                "name": name,
                "region_code": "210502",
                "community": "=1+2",
                "household": "@SUM(1)",
            },
            headers=CIVIL,
        )
        assert response.status_code == 201, response.text
        await certify(client, number, "dibao", "2010-03-10")
        numbers.append(number)
    return numbers


async def test_monthly_sheet_csv_writes_formula_like_cells_as_text(client: httpx.AsyncClient) -> None:
    """E6 sheet, OWASP CSV injection: a cell starting with = + - @ gets a leading apostrophe."""
    await _hostile_residents(client)
    response = await client.get(
        "/v1/monthly-changes", params={"region": "210502", "month": "2010-03", "format": "csv"}, headers=CIVIL
    )
    assert response.status_code == 200, response.text
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))[1:]
    names = {row[3] for row in rows}
    assert names == {"'" + name for name in HOSTILE_NAMES}
    assert {(row[8], row[9]) for row in rows} == {("'=1+2", "'@SUM(1)")}
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


async def test_monthly_sheet_xlsx_writes_formula_like_cells_as_text(client: httpx.AsyncClient) -> None:
    """E6 sheet: the names come back exactly, as string cells — no formula in the workbook."""
    await _hostile_residents(client)
    response = await client.get(
        "/v1/monthly-changes",
        params={"region": "210502", "month": "2010-03", "format": "xlsx"},
        headers=CIVIL,
    )
    assert response.status_code == 200, response.text
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows(min_row=2))
    assert {row[3].value for row in rows} == set(HOSTILE_NAMES)
    assert {cell.data_type for row in rows for cell in row} == {"s"}
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert not any(b"<f>" in archive.read(name) for name in archive.namelist() if name.endswith(".xml"))


async def test_import_rejects_rows_with_formula_cells_in_the_row_report(client: httpx.AsyncClient) -> None:
    """Imports refuse a formula-like cell (reason in the row report); the other rows go in."""
    good = "210502198001011234,张三,210502,平山区东明社区,H1,低保,2009-06-01,,,平山区民政局,-"
    calc = (
        "210503199001020027,=cmd|' /C calc'!A0,210503,溪湖区河沿社区,H2,marginal,2010-03-01,,,溪湖区民政局,x"
    )
    link = (
        '210502198001011250,李四,210502,"=HYPERLINK(""http://x"",""y"")",H3,dibao,2009-06-01,,,平山区民政局,x'
    )
    content = "\n".join([HEADER, good, calc, link]) + "\n"
    response = await client.post(
        "/v1/imports",
        files={"file": ("roster.csv", content.encode())},
        data={"mode": "partial"},
        headers=CIVIL,
    )
    assert response.status_code == 201, response.text
    job = response.json()
    assert (job["accepted"], job["rejected"]) == (1, 2)
    rows = (await client.get(f"/v1/imports/{job['id']}/rows", headers=CIVIL)).json()["items"]
    reasons = {row["row_number"]: row["reason"] for row in rows if row["outcome"] == "rejected"}
    assert set(reasons) == {3, 4}
    assert "name begins with '='" in reasons[3]
    assert "formula" in reasons[3]
    assert "community begins with '='" in reasons[4]


async def test_an_xlsx_zip_bomb_is_refused_before_parsing(client: httpx.AsyncClient) -> None:
    """A ~100 KB upload whose one sheet inflates to 96 MiB: 422 naming the file, from the zip directory."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr(
            "xl/worksheets/sheet1.xml",
            b'<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
            + b"A" * (96 * 1024 * 1024)
            + b"</t></is></c></row></sheetData></worksheet>",
        )
    assert len(buffer.getvalue()) < 200_000
    response = await client.post(
        "/v1/imports", files={"file": ("bomb.xlsx", buffer.getvalue())}, headers=CIVIL
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["errors"][0]["field"] == "body.file"
    assert "zip bomb" in problem["errors"][0]["reason"]
