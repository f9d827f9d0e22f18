"""Monthly change report (E6) as JSON, CSV and XLSX; disclosure list (R2); audit log (E2)."""

import csv
import io

from eligibility_helpers import CIVIL, certify, id_number, register
from openpyxl import load_workbook

from huimin_shared.testing import bearer

OFFICER = bearer("community_officer", region="210502", subject="officer-ps")


async def _march_population(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    people = {
        "joins": id_number("210502", "19800101", 301),
        "exits": id_number("210502", "19800101", 303),
        "steady": id_number("210502", "19800101", 305),
        "switches": id_number("210502", "19800101", 307),
    }
    for number in people.values():
        await register(client, number)
    await certify(client, people["joins"], "dibao", "2010-03-10")
    exits = await certify(client, people["exits"], "marginal", "2009-01-01")
    response = await client.post(
        f"/v1/certifications/{exits['lineage']}/exit",
        json={"valid_to": "2010-03-20", "reason": "收入超标"},
        headers=CIVIL,
    )
    assert response.status_code == 200
    await certify(client, people["steady"], "dibao", "2009-01-01")
    switches = await certify(client, people["switches"], "marginal", "2009-01-01")
    response = await client.post(
        f"/v1/certifications/{switches['lineage']}/exit",
        json={"valid_to": "2010-03-14", "reason": "转为低保"},
        headers=CIVIL,
    )
    await certify(client, people["switches"], "dibao", "2010-03-15")
    return people


async def test_march_report_lists_new_exited_and_changed_people(client) -> None:
    """E6: joined 2010-03-10 → new; exited 2010-03-20 → exited; marginal → dibao on 03-15 → changed;
    certified throughout → not listed."""
    people = await _march_population(client)
    response = await client.get(
        "/v1/monthly-changes", params={"region": "210500", "month": "2010-03"}, headers=CIVIL
    )
    assert response.status_code == 200, response.text
    rows = {row["id_number"]: row for row in response.json()["items"]}
    assert set(rows) == {people["joins"], people["exits"], people["switches"]}
    assert (rows[people["joins"]]["change"], rows[people["joins"]]["effective_on"]) == ("new", "2010-03-10")
    assert (rows[people["exits"]]["change"], rows[people["exits"]]["effective_on"]) == (
        "exited",
        "2010-03-20",
    )
    assert rows[people["exits"]]["categories"] == ["marginal"]
    assert (rows[people["switches"]]["change"], rows[people["switches"]]["categories"]) == (
        "changed",
        ["dibao"],
    )
    february = (
        await client.get(
            "/v1/monthly-changes", params={"region": "210500", "month": "2010-02"}, headers=CIVIL
        )
    ).json()
    assert february["items"] == []


async def test_monthly_report_downloads_as_csv_and_xlsx_with_chinese_headers(client) -> None:
    people = await _march_population(client)
    params = {"region": "210502", "month": "2010-03"}
    csv_response = await client.get(
        "/v1/monthly-changes", params={**params, "format": "csv"}, headers=OFFICER
    )
    assert csv_response.status_code == 200
    assert csv_response.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    assert lines[0][:4] == ["变动类型", "生效日期", "公民身份号码", "姓名"]
    assert [
        "新增",
        "2010-03-10",
        people["joins"],
        "张三丰",
        "男",
        "1980-01-01",
        "成年人",
        "210502",
        "平山区东明社区",
        "H-0001",
        "城市低保对象",
    ] in lines
    xlsx = await client.get("/v1/monthly-changes", params={**params, "format": "xlsx"}, headers=OFFICER)
    sheet = load_workbook(io.BytesIO(xlsx.content), read_only=True).worksheets[0]
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "变动类型"
    assert len(values) == 4


async def test_monthly_report_is_refused_outside_the_officers_region(client) -> None:
    response = await client.get(
        "/v1/monthly-changes", params={"region": "210503", "month": "2010-03"}, headers=OFFICER
    )
    assert response.status_code == 403
    bad = await client.get(
        "/v1/monthly-changes", params={"region": "210502", "month": "2010-13"}, headers=OFFICER
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "query.month"


async def test_disclosure_masks_given_name_and_id_and_shows_nothing_more(client) -> None:
    """R2 (N§四): 张三丰 → 张**, 210502198001011234 → 210502********1234, category; no other field."""
    number = id_number()
    await register(client, number)
    await certify(client, number, "dibao", "2009-01-01")
    other_community = id_number(sequence=125)
    await register(client, other_community, community="平山区站前社区")
    await certify(client, other_community, "dibao", "2009-01-01")
    response = await client.get(
        "/v1/disclosure",
        params={"region": "210502", "community": "平山区东明社区", "year": 2010},
        headers=OFFICER,
    )
    assert response.status_code == 200, response.text
    assert response.json()["items"] == [
        {"name": "张**", "id_number": "210502********1234", "category": "dibao"}
    ]


async def test_audit_log_shows_who_did_what_to_which_record(client) -> None:
    """E2: every change is recorded with who made it and when; auditors read it."""
    number = id_number()
    await register(client, number)
    cert = await certify(client, number, "dibao", "2009-01-01")
    await client.post(
        f"/v1/certifications/{cert['lineage']}/exit",
        json={"valid_to": "2010-06-30", "reason": "r"},
        headers=CIVIL,
    )
    auditor = bearer("auditor", subject="auditor-1")
    entries = (
        await client.get(
            "/v1/audit",
            params={"entity": "certification", "entity_id": str(cert["lineage"])},
            headers=auditor,
        )
    ).json()
    assert [(e["action"], e["actor"]) for e in entries["items"]] == [
        ("certification.certified", "clerk-1"),
        ("certification.exited", "clerk-1"),
    ]
    assert entries["items"][1]["details"]["valid_to"] == "2010-06-30"
    resident = (
        await client.get("/v1/audit", params={"entity": "resident", "entity_id": number}, headers=auditor)
    ).json()
    assert [e["action"] for e in resident["items"]] == ["resident.registered"]
    assert (await client.get("/v1/audit", headers=bearer("service"))).status_code == 403
