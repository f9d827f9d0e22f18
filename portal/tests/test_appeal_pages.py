"""Appeals (复核): the officer's form reaches eligibility as typed; who may answer is shown as eligibility rules."""

import json

import httpx
import respx

from .conftest import ELIGIBILITY, csrf_of, sign_in

APPEAL_ID = "00000000-0000-0000-0000-00000000000a"
APPLICATION_ID = "00000000-0000-0000-0000-00000000000b"


def _appeal(**extra: object) -> dict[str, object]:
    return {
        "id": APPEAL_ID, "id_number": "210502198001015016", "region_code": "210502", "kind": "refusal",
        "application_id": APPLICATION_ID, "lineage": None, "category": "dibao", "decided_by": "ca-li",
        "reason": "收入证明有误", "evidence_ref": "补〔2014〕7号", "filed_by": "officer-li",
        "filed_at": "2026-12-02T06:00:00+00:00", "due_on": "2026-12-17", "deadline": "calendar",
        "overdue": False, "status": "filed", "answered_by": None, "answered_at": None, "answer": None,
        "certification_id": None, **extra,
    }  # fmt: skip


def _listing() -> None:
    respx.get(f"{ELIGIBILITY}/v1/appeals").respond(json={"items": [_appeal()], "next_after": None})


@respx.mock
async def test_an_officer_files_an_appeal_against_a_refusal(portal: httpx.AsyncClient) -> None:
    filed = respx.post(f"{ELIGIBILITY}/v1/appeals").respond(201, json=_appeal())
    await sign_in(portal, "community_officer", "210502", subject="officer-li")
    form = await portal.get(f"/appeals/new?application_id={APPLICATION_ID}")
    assert form.status_code == 200
    answer = await portal.post(
        "/appeals/new",
        data={
            "application_id": APPLICATION_ID, "reason": "收入证明有误", "evidence_ref": "补〔2014〕7号",
            "csrf_token": csrf_of(form.text),
        },
    )  # fmt: skip
    assert answer.status_code == 303
    assert answer.headers["location"] == "/appeals?done=filed"
    assert json.loads(filed.calls.last.request.content) == {
        "application_id": APPLICATION_ID,
        "reason": "收入证明有误",
        "evidence_ref": "补〔2014〕7号",
    }


@respx.mock
async def test_the_person_who_decided_sees_no_answer_buttons_and_another_does(
    portal: httpx.AsyncClient,
) -> None:
    """Maker–checker: the decision's maker may not answer its appeal (eligibility refuses; the page says so)."""
    _listing()
    await sign_in(portal, "civil_affairs", subject="ca-li")
    own = await portal.get("/appeals")
    assert "须由另一位工作人员答复" in own.text
    assert f'action="/appeals/{APPEAL_ID}/uphold"' not in own.text
    await sign_in(portal, "civil_affairs", subject="ca-zhou")
    other = await portal.get("/appeals")
    assert f'action="/appeals/{APPEAL_ID}/uphold"' in other.text
    assert f'action="/appeals/{APPEAL_ID}/dismiss"' in other.text


@respx.mock
async def test_an_answer_eligibility_refuses_is_shown_at_the_appeal(portal: httpx.AsyncClient) -> None:
    _listing()
    respx.post(f"{ELIGIBILITY}/v1/appeals/{APPEAL_ID}/dismiss").respond(
        403,
        json={"type": "about:blank", "title": "Forbidden", "status": 403, "detail": "maker may not answer"},
    )
    await sign_in(portal, "civil_affairs", subject="ca-zhou")
    page = await portal.get("/appeals")
    answer = await portal.post(
        f"/appeals/{APPEAL_ID}/dismiss", data={"answer": "维持", "csrf_token": csrf_of(page.text)}
    )
    assert answer.status_code == 403
    assert "maker may not answer" in answer.text
