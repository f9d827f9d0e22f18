"""Appeals (复核): a community officer files against a refusal or an exit with reason and evidence; a
civil-affairs officer other than the decider answers by the deadline (data/policy_calendar.toml); upholding
corrects the certification back-dated through the ordinary certification / correction path; every step is
audited."""

from datetime import date, timedelta

import httpx
import pytest
from eligibility_helpers import CIVIL, certify, id_number, register, status

from huimin_eligibility import divisions
from huimin_shared.testing import bearer

OFFICER = bearer("community_officer", region="210502", subject="officer-ps")
DECIDER = bearer("civil_affairs", subject="clerk-2")
REVIEWER = bearer("civil_affairs", subject="clerk-3")


async def _refused(client: httpx.AsyncClient, number: str) -> str:
    sheet = {
        "id_number": number,
        "name": "孙丽",
        "region_code": "210502",
        "community": "平山区东明社区",
        "household": "H-A1",
        "household_size": 2,
        "category": "dibao",
        "requested_from": "2010-03-01",
        "reason": "失业",
        "evidence_ref": "东明社区证〔2010〕7号",
    }
    submitted = await client.post("/v1/applications", json=sheet, headers=OFFICER)
    assert submitted.status_code == 201, submitted.text
    application_id: str = submitted.json()["id"]
    rejected = await client.post(
        f"/v1/applications/{application_id}/reject", json={"reason": "收入超标"}, headers=DECIDER
    )
    assert rejected.status_code == 200, rejected.text
    return application_id


async def _file(client: httpx.AsyncClient, **subject: object) -> dict:  # type: ignore[type-arg]
    response = await client.post(
        "/v1/appeals",
        json={**subject, "reason": "收入计算有误", "evidence_ref": "平民复〔2010〕3号"},
        headers=OFFICER,
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_an_upheld_refusal_certifies_back_dated_to_the_date_applied_for(
    client: httpx.AsyncClient,
) -> None:
    number = id_number(born="19800101", sequence=601)
    application_id = await _refused(client, number)
    appeal = await _file(client, application_id=application_id)
    assert (appeal["kind"], appeal["status"], appeal["decided_by"]) == ("refusal", "filed", "clerk-2")
    assert appeal["due_on"] == (divisions.today_in_china() + timedelta(days=60)).isoformat()
    assert appeal["overdue"] is False
    assert "行政复议法" in appeal["deadline"]
    uphold = {"answer": "收入核算有误", "authority": "平山区民政局", "evidence_ref": "平民复决〔2010〕1号"}
    # The officer who decided may not answer; neither may a community officer.
    assert (
        await client.post(f"/v1/appeals/{appeal['id']}/uphold", json=uphold, headers=DECIDER)
    ).status_code == 403
    assert (
        await client.post(f"/v1/appeals/{appeal['id']}/uphold", json=uphold, headers=OFFICER)
    ).status_code == 403
    before = (await status(client, number, "2010-04-01", headers=CIVIL)).status_code
    assert before == 404  # never registered while refused
    upheld = await client.post(f"/v1/appeals/{appeal['id']}/uphold", json=uphold, headers=REVIEWER)
    assert upheld.status_code == 200, upheld.text
    assert (upheld.json()["status"], upheld.json()["answered_by"]) == ("upheld", "clerk-3")
    on_april = (await status(client, number, "2010-04-01")).json()
    assert (on_april["eligible"], on_april["categories"]) == (True, ["dibao"])
    records = (await client.get(f"/v1/residents/{number}/certifications", headers=CIVIL)).json()["items"]
    assert [(r["valid_from"], r["id"]) for r in records] == [
        ("2010-03-01", upheld.json()["certification_id"])
    ]
    again = await client.post(f"/v1/appeals/{appeal['id']}/dismiss", json={"answer": "x"}, headers=REVIEWER)
    assert again.status_code == 409


async def test_an_upheld_exit_is_corrected_back_dated_and_known_only_from_then(
    client: httpx.AsyncClient,
) -> None:
    """E2: the exit is corrected, never deleted — the ordinary correction path (change `corrected`, the same
    lineage), so as known before the answer the person had left, as known after they never did."""
    number = id_number(born="19800101", sequence=603)
    await register(client, number)
    record = await certify(client, number, "dibao", "2009-06-01")
    exited = await client.post(
        f"/v1/certifications/{record['lineage']}/exit",
        json={"valid_to": "2010-02-28", "reason": "收入增加"},
        headers=DECIDER,
    )
    assert exited.status_code == 200, exited.text
    appeal = await _file(client, lineage=record["lineage"])
    assert (appeal["kind"], appeal["decided_by"]) == ("exit", "clerk-2")
    before_answer = (await status(client, number, "2011-03-01")).json()["as_of"]
    uphold = {
        "answer": "收入未增加",
        "authority": "平山区民政局",
        "evidence_ref": "平民复决〔2010〕2号",
        "valid_to": None,
    }
    upheld = await client.post(f"/v1/appeals/{appeal['id']}/uphold", json=uphold, headers=REVIEWER)
    assert upheld.status_code == 200, upheld.text
    assert (await status(client, number, "2011-03-01")).json()["eligible"] is True
    assert (await status(client, number, "2011-03-01", as_of=before_answer)).json()["eligible"] is False
    history = (
        await client.get(f"/v1/residents/{number}/certifications", params={"history": "true"}, headers=CIVIL)
    ).json()["items"]
    assert [(r["change"], r["lineage"], r["valid_to"]) for r in history][-1] == (
        "corrected",
        record["lineage"],
        None,
    )
    assert history[-1]["reason"].startswith(f"appeal {appeal['id']}")


async def test_every_step_of_an_appeal_is_audited(client: httpx.AsyncClient) -> None:
    number = id_number(born="19800101", sequence=605)
    appeal = await _file(client, application_id=await _refused(client, number))
    await client.post(f"/v1/appeals/{appeal['id']}/dismiss", json={"answer": "维持"}, headers=REVIEWER)
    entries = (
        await client.get("/v1/audit", params={"entity": "appeal", "entity_id": appeal["id"]}, headers=CIVIL)
    ).json()["items"]
    assert [(e["action"], e["actor"]) for e in entries] == [
        ("appeal.filed", "officer-ps"),
        ("appeal.dismissed", "clerk-3"),
    ]
    limited = bearer("auditor", region="210502", subject="auditor-ps")
    seen = (await client.get("/v1/audit", params={"entity": "appeal"}, headers=limited)).json()["items"]
    assert appeal["id"] in {e["entity_id"] for e in seen}


async def test_an_unanswered_appeal_is_overdue_after_its_due_day(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    number = id_number(born="19800101", sequence=607)
    appeal = await _file(client, application_id=await _refused(client, number))
    due = date.fromisoformat(appeal["due_on"])
    monkeypatch.setattr(divisions, "today_in_china", lambda: due)
    assert (await client.get("/v1/appeals", params={"overdue": "true"}, headers=CIVIL)).json()["items"] == []
    monkeypatch.setattr(divisions, "today_in_china", lambda: due + timedelta(days=1))
    overdue = (await client.get("/v1/appeals", params={"overdue": "true"}, headers=CIVIL)).json()["items"]
    assert [(a["id"], a["overdue"]) for a in overdue] == [(appeal["id"], True)]


async def test_only_a_refusal_or_an_exit_is_appealed_once_and_within_the_region(
    client: httpx.AsyncClient,
) -> None:
    number = id_number(born="19800101", sequence=609)
    await register(client, number)
    record = await certify(client, number, "dibao", "2009-06-01")
    body = {"lineage": record["lineage"], "reason": "r", "evidence_ref": "e"}
    assert (await client.post("/v1/appeals", json=body, headers=OFFICER)).status_code == 409  # not an exit
    application_id = await _refused(client, id_number(born="19800101", sequence=611))
    first = {"application_id": application_id, "reason": "r", "evidence_ref": "e"}
    elsewhere = bearer("community_officer", region="210503", subject="officer-xh")
    assert (await client.post("/v1/appeals", json=first, headers=elsewhere)).status_code == 403
    assert (await client.post("/v1/appeals", json=first, headers=OFFICER)).status_code == 201
    assert (await client.post("/v1/appeals", json=first, headers=OFFICER)).status_code == 409
    assert (await client.get("/v1/appeals", headers=elsewhere)).json()["items"] == []
    both = {**first, "lineage": 1}
    assert (await client.post("/v1/appeals", json=both, headers=OFFICER)).status_code == 422
    assert (await client.post("/v1/appeals", json=first, headers=CIVIL)).status_code == 403  # officers file
