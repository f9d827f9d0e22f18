"""Applications (E6, B§四(三)): an officer submits, civil affairs decides, never the same user."""

import pytest
from eligibility_helpers import SERVICE, id_number

from huimin_eligibility.applications.service import certified_evidence
from huimin_shared.errors import ValidationFailed
from huimin_shared.testing import bearer

OFFICER = bearer("community_officer", region="210502", subject="officer-ps")
CLERK = bearer("civil_affairs", subject="clerk-2")


def _sheet(number: str, **overrides: object) -> dict[str, object]:
    return {
        "id_number": number,
        "name": "刘芳",
        "region_code": "210502",
        "community": "平山区东明社区",
        "household": "H-77",
        "household_size": 3,
        "category": "marginal",
        "requested_from": "2010-05-01",
        "reason": "下岗失业, 家庭人均收入低于边缘线",
        "evidence_ref": "平民边〔2010〕5号",
        **overrides,
    }


async def test_approval_registers_the_resident_and_creates_the_certification(client) -> None:
    number = id_number(born="19750505", sequence=202)
    submitted = await client.post("/v1/applications", json=_sheet(number), headers=OFFICER)
    assert submitted.status_code == 201, submitted.text
    application = submitted.json()
    assert application["status"] == "submitted"
    approved = await client.post(
        f"/v1/applications/{application['id']}/approve",
        json={"authority": "平山区民政局", "evidence_ref": "平民边〔2010〕5号"},
        headers=CLERK,
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert approved.json()["certification_id"] is not None
    status = (
        await client.get(f"/v1/residents/{number}/status", params={"on": "2010-05-01"}, headers=SERVICE)
    ).json()
    assert (status["eligible"], status["categories"]) == (True, ["marginal"])
    again = await client.post(
        f"/v1/applications/{application['id']}/reject", json={"reason": "x"}, headers=CLERK
    )
    assert again.status_code == 409


async def test_the_submitter_may_not_decide_their_own_application(client) -> None:
    """Four eyes: the same user (subject) holding both roles is refused with 403."""
    both = bearer("community_officer", "civil_affairs", subject="officer-ps")
    application = (
        await client.post("/v1/applications", json=_sheet(id_number(sequence=204)), headers=OFFICER)
    ).json()
    response = await client.post(
        f"/v1/applications/{application['id']}/approve",
        json={"authority": "a", "evidence_ref": "e"},
        headers=both,
    )
    assert response.status_code == 403
    assert "four eyes" in response.json()["detail"]


async def test_rejection_carries_a_reason_and_creates_nothing(client) -> None:
    number = id_number(sequence=206)
    application = (await client.post("/v1/applications", json=_sheet(number), headers=OFFICER)).json()
    response = await client.post(
        f"/v1/applications/{application['id']}/reject", json={"reason": "收入超过边缘线"}, headers=CLERK
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["rejection_reason"]) == ("rejected", "收入超过边缘线")
    status = await client.get(f"/v1/residents/{number}/status", params={"on": "2010-06-01"}, headers=SERVICE)
    assert status.status_code == 404
    listed = (await client.get("/v1/applications", params={"status": "rejected"}, headers=OFFICER)).json()
    assert [a["id"] for a in listed["items"]] == [application["id"]]


async def test_officer_submits_only_in_their_region_and_only_officers_submit(client) -> None:
    response = await client.post(
        "/v1/applications", json=_sheet(id_number(sequence=208), region_code="210503"), headers=OFFICER
    )
    assert response.status_code == 403
    response = await client.post("/v1/applications", json=_sheet(id_number(sequence=208)), headers=CLERK)
    assert response.status_code == 403


async def test_an_application_with_a_bad_sheet_is_422_and_writes_nothing(client) -> None:
    response = await client.post(
        "/v1/applications",
        json=_sheet(id_number(sequence=210), household_size=0, category="wubao"),
        headers=OFFICER,
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"body.household_size", "body.category"}
    assert (await client.get("/v1/applications", headers=OFFICER)).json()["items"] == []


async def _certification_evidence(client, number: str) -> list[str]:
    history = (await client.get(f"/v1/residents/{number}/certifications", headers=CLERK)).json()
    return [c["evidence_ref"] for c in history["items"]]


async def test_the_application_carries_its_evidence_and_the_certification_takes_it_when_the_reviewer_adds_none(
    client,
) -> None:
    """Issue 17 (E2, E6): the officer submits the evidence reference; the reviewer sees it on the application;
    an approval without a 证明文号 of its own certifies on the application's evidence."""
    number = id_number(born="19760606", sequence=212)
    submitted = await client.post(
        "/v1/applications", json=_sheet(number, evidence_ref="东明社区低保证 0212"), headers=OFFICER
    )
    assert submitted.status_code == 201, submitted.text
    shown = (await client.get(f"/v1/applications/{submitted.json()['id']}", headers=CLERK)).json()
    assert shown["evidence_ref"] == "东明社区低保证 0212"
    approved = await client.post(
        f"/v1/applications/{shown['id']}/approve", json={"authority": "平山区民政局"}, headers=CLERK
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["evidence_ref"] == "东明社区低保证 0212"
    assert await _certification_evidence(client, number) == ["东明社区低保证 0212"]


async def test_a_reviewer_document_number_is_what_the_certification_records_and_the_application_keeps_its_own(
    client,
) -> None:
    """Issue 17: the reviewer's 证明文号, when recorded, is the certification's; the application still shows the
    evidence it was submitted with."""
    number = id_number(born="19770707", sequence=214)
    application = (
        await client.post(
            "/v1/applications", json=_sheet(number, evidence_ref="低保证 0214"), headers=OFFICER
        )
    ).json()
    approved = await client.post(
        f"/v1/applications/{application['id']}/approve",
        json={"authority": "平山区民政局", "evidence_ref": "平民边〔2010〕9号"},
        headers=CLERK,
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["evidence_ref"] == "低保证 0214"
    assert await _certification_evidence(client, number) == ["平民边〔2010〕9号"]


@pytest.mark.parametrize(
    ("evidence", "present"),
    [(None, False), ("", True), ("   ", True), ("x" * 201, True)],
    ids=["missing", "empty", "blank", "too-long"],
)
async def test_an_application_without_evidence_is_422_naming_the_field_and_writes_nothing(
    client, evidence: str | None, present: bool
) -> None:
    """Issue 17: no application without its evidence reference (at most 200 characters, not blank)."""
    sheet = _sheet(id_number(sequence=216))
    if present:
        sheet["evidence_ref"] = evidence
    else:
        del sheet["evidence_ref"]
    response = await client.post("/v1/applications", json=sheet, headers=OFFICER)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["body.evidence_ref"]
    assert (await client.get("/v1/applications", headers=OFFICER)).json()["items"] == []


def test_the_certified_evidence_is_the_reviewers_else_the_applications_else_refused() -> None:
    """Issue 17's rule in one place (applications.service.certified_evidence)."""
    assert certified_evidence("平民〔2010〕1号", "低保证 1") == "平民〔2010〕1号"
    assert certified_evidence(None, "低保证 1") == "低保证 1"
    with pytest.raises(ValidationFailed) as refused:
        certified_evidence(None, None)
    assert [e.field for e in refused.value.errors or []] == ["body.evidence_ref"]
