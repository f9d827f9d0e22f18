"""Search and households: the criteria reach eligibility as given, and what it finds is shown and linked."""

import httpx
import respx

from .conftest import ELIGIBILITY, sign_in

NUMBER = "210502198001015016"


def _match(**extra: object) -> dict[str, object]:
    return {
        "id_number": NUMBER, "name": "居民P", "birth_date": "1980-01-01", "sex": "male",
        "region_code": "210502", "community": "站前社区", "household": "H/P", "categories_on_date": ["dibao"],
        **extra,
    }  # fmt: skip


@respx.mock
async def test_search_sends_only_the_criteria_given_and_links_each_person_and_household(
    portal: httpx.AsyncClient,
) -> None:
    found = respx.get(f"{ELIGIBILITY}/v1/residents").respond(
        json={"on": "2026-12-02", "items": [_match()], "next_after": 7}
    )
    await sign_in(portal, "community_officer", "210502")
    page = await portal.get("/search?name=居民P&community=&category=dibao")
    assert page.status_code == 200, page.text
    sent = found.calls.last.request.url.params
    assert sent["name"] == "居民P"
    assert sent["category"] == "dibao"
    assert "community" not in sent  # an empty field is no criterion
    assert f'href="/residents/{NUMBER}"' in page.text
    assert 'href="/households/H%2FP?region=210502"' in page.text
    assert "城市低保" in page.text
    assert "after=7" in page.text  # the next page


async def test_search_without_a_criterion_asks_nothing(portal: httpx.AsyncClient) -> None:
    """Eligibility refuses a search with no criterion (region only narrows): the form is shown instead."""
    await sign_in(portal, "community_officer", "210502")
    with respx.mock(assert_all_called=False) as mock:
        route = mock.get(f"{ELIGIBILITY}/v1/residents")
        page = await portal.get("/search?region=210502")
    assert page.status_code == 200
    assert not route.called


@respx.mock
async def test_a_household_shows_each_members_status_on_the_date(portal: httpx.AsyncClient) -> None:
    member = _match(eligible=True, categories=["dibao"], age_group="adult", excluded_reason=None)
    other = _match(
        id_number="210502201001015012", name="居民P之子", eligible=False, categories=[],
        age_group="minor", excluded_reason="not_certified",
    )  # fmt: skip
    route = respx.get(f"{ELIGIBILITY}/v1/households/H%2FP").respond(
        json={"household": "H/P", "region": "210502", "on": "2015-01-15", "members": [member, other]}
    )
    await sign_in(portal, "civil_affairs")
    page = await portal.get("/households/H%2FP?region=210502&on=2015-01-15")
    assert page.status_code == 200, page.text
    assert route.calls.last.request.url.params["on"] == "2015-01-15"
    assert "2015-01-15 享受资助" in page.text
    assert "未认定困难类别" in page.text
    assert "居民P之子" in page.text


@respx.mock
async def test_an_unknown_household_is_a_404_page(portal: httpx.AsyncClient) -> None:
    respx.get(f"{ELIGIBILITY}/v1/households/H-0").respond(
        404, json={"type": "about:blank", "title": "Not Found", "status": 404, "detail": "no such household"}
    )
    await sign_in(portal, "community_officer", "210502")
    assert (await portal.get("/households/H-0")).status_code == 404


async def test_search_is_not_for_finance(portal: httpx.AsyncClient) -> None:
    await sign_in(portal, "finance")
    assert (await portal.get("/search?name=x")).status_code == 403
