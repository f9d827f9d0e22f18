"""Applications (资助申请) in the portal: the officer's evidence reference reaches eligibility as typed, the
reviewer sees it and the approval form is prefilled with it (issue 17)."""

import json

import httpx
import respx

from .conftest import ELIGIBILITY, csrf_of, sign_in

APPLICATION_ID = "00000000-0000-0000-0000-00000000000c"
NUMBER = "210502198001015016"
SHEET = {
    "id_number": NUMBER, "name": "居民P", "region_code": "210502", "community": "站前社区", "household": "H-P",
    "household_size": "3", "category": "dibao", "requested_from": "2014-10-01",
    "employee_insurance_since": "", "reason": "家庭人均收入低于低保标准", "evidence_ref": "站前社区低保证 0088",
}  # fmt: skip


def _application(**extra: object) -> dict[str, object]:
    return {
        "id": APPLICATION_ID, "id_number": NUMBER, "name": "居民P", "region_code": "210502",
        "community": "站前社区", "household": "H-P", "household_size": 3, "category": "dibao",
        "requested_from": "2014-10-01", "employee_insurance_since": None, "reason": "家庭人均收入低于低保标准",
        "evidence_ref": "站前社区低保证 0088", "status": "submitted", "submitted_by": "officer-li",
        "submitted_at": "2026-12-02T06:00:00+00:00", "decided_by": None, "decided_at": None,
        "rejection_reason": None, "certification_id": None, **extra,
    }  # fmt: skip


@respx.mock
async def test_the_officer_submits_the_evidence_reference_with_the_application(
    portal: httpx.AsyncClient,
) -> None:
    """Issue 17: "submit an application with its evidence reference" — the form carries it, CSRF as every form."""
    submitted = respx.post(f"{ELIGIBILITY}/v1/applications").respond(201, json=_application())
    await sign_in(portal, "community_officer", "210502", subject="officer-li")
    form = await portal.get(f"/applications/new?id_number={NUMBER}")
    assert '<label for="f-evidence_ref">证明材料编号' in form.text
    refused = await portal.post("/applications/new", data=SHEET)
    assert refused.status_code == 403  # no CSRF token: nothing reaches eligibility
    assert not submitted.called
    answer = await portal.post("/applications/new", data={**SHEET, "csrf_token": csrf_of(form.text)})
    assert answer.status_code == 303, answer.text
    sent = json.loads(submitted.calls.last.request.content)
    assert sent["evidence_ref"] == "站前社区低保证 0088"
    assert sent["household_size"] == 3


@respx.mock
async def test_a_missing_evidence_reference_is_shown_at_its_field(portal: httpx.AsyncClient) -> None:
    """RFC 9457: eligibility's 422 on body.evidence_ref is shown at the evidence control, what was typed kept."""
    respx.post(f"{ELIGIBILITY}/v1/applications").respond(
        422,
        json={
            "type": "https://huimin.example/problems/validation-error",
            "title": "Request is not valid",
            "status": 422,
            "detail": "body.evidence_ref: String should match pattern '\\S'",
            "errors": [{"field": "body.evidence_ref", "reason": "String should match pattern '\\S'"}],
        },
        headers={"Content-Type": "application/problem+json"},
    )
    await sign_in(portal, "community_officer", "210502")
    form = await portal.get("/applications/new")
    page = await portal.post(
        "/applications/new", data={**SHEET, "evidence_ref": " ", "csrf_token": csrf_of(form.text)}
    )
    assert page.status_code == 422
    assert 'href="#f-evidence_ref">证明材料编号</a>' in page.text
    assert 'value="居民P"' in page.text


@respx.mock
async def test_the_reviewer_sees_the_evidence_and_the_approval_is_prefilled_with_it(
    portal: httpx.AsyncClient,
) -> None:
    """Issue 17's rule: the certification's 证明文号 defaults to the application's evidence reference."""
    respx.get(f"{ELIGIBILITY}/v1/applications").respond(json={"items": [_application()]})
    approved = respx.post(f"{ELIGIBILITY}/v1/applications/{APPLICATION_ID}/approve").respond(
        json=_application(status="approved", decided_by="ca-zhou")
    )
    await sign_in(portal, "civil_affairs", subject="ca-zhou")
    queue = await portal.get("/applications")
    assert '<dd class="evidence">站前社区低保证 0088</dd>' in queue.text
    assert 'name="evidence_ref" value="站前社区低保证 0088"' in queue.text
    answer = await portal.post(
        f"/applications/{APPLICATION_ID}/approve",
        data={"authority": "平山区民政局", "evidence_ref": "", "csrf_token": csrf_of(queue.text)},
    )
    assert answer.status_code == 303
    # emptied: eligibility applies its rule (the application's evidence), the portal invents nothing
    assert json.loads(approved.calls.last.request.content) == {"authority": "平山区民政局"}


@respx.mock
async def test_the_reviewer_may_record_the_decision_documents_own_number(portal: httpx.AsyncClient) -> None:
    respx.get(f"{ELIGIBILITY}/v1/applications").respond(json={"items": [_application()]})
    approved = respx.post(f"{ELIGIBILITY}/v1/applications/{APPLICATION_ID}/approve").respond(
        json=_application(status="approved", decided_by="ca-zhou")
    )
    await sign_in(portal, "civil_affairs", subject="ca-zhou")
    queue = await portal.get("/applications")
    await portal.post(
        f"/applications/{APPLICATION_ID}/approve",
        data={
            "authority": "平山区民政局",
            "evidence_ref": "平民低〔2014〕88号",
            "csrf_token": csrf_of(queue.text),
        },
    )
    assert json.loads(approved.calls.last.request.content) == {
        "authority": "平山区民政局",
        "evidence_ref": "平民低〔2014〕88号",
    }
