"""Exports for auditors: the audit log and the disclosure list as streamed CSV and XLSX with Chinese
headers, formula-safe (OWASP: a cell beginning with = + - @ TAB CR is prefixed with a quote)."""

import csv
import io

import httpx
import pytest
from eligibility_helpers import CIVIL, certify, id_number, register
from openpyxl import load_workbook

from huimin_eligibility import sheets
from huimin_shared.testing import bearer

AUDITOR = bearer("auditor", subject="auditor-1")
EVIL_CLERK = bearer("civil_affairs", subject="=cmd|' /C calc'!A0")


@pytest.mark.parametrize("text", ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_owasp_formula_triggers_are_neutralised(text: str) -> None:
    assert sheets.neutralised(text) == "'" + text


def test_ordinary_text_numbers_and_empty_cells_are_kept() -> None:
    assert [sheets.neutralised(v) for v in ("张三", "2010-01-01", 7, None)] == ["张三", "2010-01-01", 7, None]


def _csv_rows(response: httpx.Response) -> list[list[str]]:
    assert response.headers["content-type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


async def test_audit_log_downloads_as_csv_with_chinese_headers_and_neutralised_cells(
    client: httpx.AsyncClient,
) -> None:
    number = id_number(born="19800101", sequence=701)
    await register(client, number, headers=EVIL_CLERK)
    response = await client.get(
        "/v1/audit", params={"entity": "resident", "entity_id": number, "format": "csv"}, headers=AUDITOR
    )
    assert response.status_code == 200, response.text
    assert 'filename="audit-log.csv"' in response.headers["content-disposition"]
    rows = _csv_rows(response)
    assert rows[0] == ["编号", "时间", "操作人", "角色", "操作", "对象类型", "对象编号", "详情"]
    assert [(r[2], r[4], r[6]) for r in rows[1:]] == [("'=cmd|' /C calc'!A0", "resident.registered", number)]


async def test_audit_log_downloads_as_xlsx_with_text_cells_only(client: httpx.AsyncClient) -> None:
    number = id_number(born="19800101", sequence=703)
    await register(client, number, headers=EVIL_CLERK)
    response = await client.get(
        "/v1/audit", params={"entity": "resident", "entity_id": number, "format": "xlsx"}, headers=AUDITOR
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == sheets.XLSX_MEDIA_TYPE
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows())
    assert [c.value for c in rows[0]] == [
        "编号",
        "时间",
        "操作人",
        "角色",
        "操作",
        "对象类型",
        "对象编号",
        "详情",
    ]
    actor = rows[1][2]
    assert (actor.value, actor.data_type) == ("'=cmd|' /C calc'!A0", "s")
    assert all(cell.data_type != "f" for row in rows for cell in row)


async def test_audit_export_holds_every_entry_not_one_page_and_only_the_tokens_region(
    client: httpx.AsyncClient,
) -> None:
    ps = [id_number("210502", "19800101", 705 + 2 * i) for i in range(3)]
    xh = id_number("210503", "19800101", 711)
    for number in ps:
        await register(client, number)
    await register(client, xh, region_code="210503")
    everything = _csv_rows(
        await client.get(
            "/v1/audit", params={"entity": "resident", "format": "csv", "limit": 1}, headers=AUDITOR
        )
    )
    assert {*ps, xh} <= {r[6] for r in everything[1:]}
    limited = bearer("auditor", region="210502", subject="auditor-ps")
    mine = _csv_rows(
        await client.get("/v1/audit", params={"entity": "resident", "format": "csv"}, headers=limited)
    )
    assert set(ps) <= {r[6] for r in mine[1:]}
    assert xh not in {r[6] for r in mine[1:]}


async def test_disclosure_list_downloads_masked_as_csv_and_xlsx(client: httpx.AsyncClient) -> None:
    number = id_number(born="19800101", sequence=713)
    await register(client, number, name="=张三", community="东明社区")
    await certify(client, number, "dibao", "2009-06-01")
    params = {"region": "210502", "community": "东明社区", "year": "2010"}
    as_json = (await client.get("/v1/disclosure", params=params, headers=AUDITOR)).json()["items"]
    rows = _csv_rows(await client.get("/v1/disclosure", params={**params, "format": "csv"}, headers=AUDITOR))
    assert rows[0] == ["姓名", "公民身份号码", "类别"]
    assert rows[1:] == [["'" + as_json[0]["name"], "210502********" + number[-4:], "城市低保对象"]]
    response = await client.get("/v1/disclosure", params={**params, "format": "xlsx"}, headers=CIVIL)
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [r for r in rows]


async def test_exports_keep_their_roles(client: httpx.AsyncClient) -> None:
    for role in ("finance", "social_insurance", "community_officer", "resident"):
        response = await client.get("/v1/audit", params={"format": "csv"}, headers=bearer(role))
        assert response.status_code == 403, role
    disclosure = {"region": "210502", "community": "c", "year": "2010", "format": "xlsx"}
    assert (
        await client.get("/v1/disclosure", params=disclosure, headers=bearer("finance"))
    ).status_code == 403
    xh_auditor = bearer("auditor", region="210503")
    assert (await client.get("/v1/disclosure", params=disclosure, headers=xh_auditor)).status_code == 403
