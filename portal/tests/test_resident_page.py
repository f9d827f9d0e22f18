"""A resident's own page: signed in with their ID number, they see their own records and who read them."""

import base64
from typing import Any

import httpx
import jwt
import respx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .conftest import ELIGIBILITY, PREMIUM, SETTLEMENT, csrf_of, sign_in

NUMBER = "210502198001015016"


def _signed_status(on: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A status answer with a certificate signed by a fresh key, and the JWKS publishing that key."""
    key = Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    jwks = {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x, "kid": "k1", "alg": "EdDSA", "use": "sig"}]}
    claims = {"id_number": NUMBER, "on": on, "eligible": True, "categories": ["dibao"]}
    certificate = jwt.encode(
        {"iss": "huimin-eligibility", **claims}, key, algorithm="EdDSA", headers={"kid": "k1"}
    )
    return {**claims, "certificate": certificate}, jwks


def _read(at: str, reader: str, purpose: str) -> dict[str, str]:
    return {"at": at, "reader": reader, "role": "community_officer", "purpose": purpose}


@respx.mock
async def test_the_own_page_shows_the_residents_status_money_and_every_services_read_log(
    portal: httpx.AsyncClient,
) -> None:
    """DRS-8: the resident sees what they and the government paid and who read them, in every service."""
    status, jwks = _signed_status("2015-01-15")
    status_route = respx.get(f"{ELIGIBILITY}/v1/residents/{NUMBER}/status").respond(json=status)
    respx.get(f"{ELIGIBILITY}/.well-known/jwks.json").respond(json=jwks)
    line = {
        "id": 1, "id_number": NUMBER, "region_code": "210502", "category": "dibao", "age_group": "adult",
        "line_kind": "regular", "adjusts_version": None, "change": None,
        "individual_contribution": "150.00", "assistance_subsidy": "150.00", "resident_pays": "0.00",
        "by_payer": {}, "citation": "B§一(二)",
    }  # fmt: skip
    item = {"assessment_id": "00000000-0000-0000-0000-000000000001", "year": 2015, "kind": "annual"}
    respx.get(f"{PREMIUM}/v1/residents/{NUMBER}/assessments").respond(
        json={"id_number": NUMBER, "items": [{**item, "version": 1, "line": line}]}
    )
    trace_route = respx.get(f"{SETTLEMENT}/v1/traces/{NUMBER}").respond(
        json={
            "id_number": NUMBER,
            "lines": [
                {
                    "batch_id": "00000000-0000-0000-0000-000000000002",
                    "batch_kind": "dibao_collective",
                    "year": 2015,
                    "line": {"line_kind": "regular", "amount": "150.00"},
                    "transfers": [{"state": "posted"}],
                }
            ],
        }
    )
    respx.get(f"{ELIGIBILITY}/v1/residents/{NUMBER}/reads").respond(
        json={"id_number": NUMBER, "reads": [_read("2026-12-02T06:00:00+00:00", "officer-li", "status")]}
    )
    respx.get(f"{PREMIUM}/v1/residents/{NUMBER}/reads").respond(
        json={"id_number": NUMBER, "reads": [_read("2026-12-02T07:00:00+00:00", "officer-wang", "quote")]}
    )
    respx.get(f"{SETTLEMENT}/v1/residents/{NUMBER}/reads").respond(json={"id_number": NUMBER, "reads": []})

    await sign_in(portal, "resident", subject=f" {NUMBER} ")
    page = await portal.get("/me?on=2015-01-15&year=2015")

    assert page.status_code == 200, page.text
    assert status_route.calls.last.request.url.params["on"] == "2015-01-15"
    assert trace_route.calls.last.request.url.params["year"] == "2015"
    assert "城市低保" in page.text
    assert "资格证书有效" in page.text  # the certificate was checked against the published key
    assert "¥150.00" in page.text
    assert "¥0.00" in page.text
    assert "低保集体缴费" in page.text
    assert "已入账" in page.text
    # Both services' logs, newest first, each naming the service that logged it.
    assert page.text.index("officer-wang") < page.text.index("officer-li")
    assert "保费测算服务（premium）" in page.text
    assert "资格认定服务（eligibility）" in page.text


async def test_a_resident_signs_in_only_with_a_valid_id_number(portal: httpx.AsyncClient) -> None:
    """The resident role's subject is the person's ID number; anything else is no resident token."""
    form = await portal.get("/signin")
    answer = await portal.post(
        "/signin/dev",
        data={
            "role": "resident",
            "region": "",
            "subject": "li",
            "csrf_token": csrf_of(form.text),
            "next": "/me",
        },
    )
    assert answer.status_code == 422
    assert (await portal.get("/me")).status_code != 200


async def test_the_own_page_is_for_residents_only(portal: httpx.AsyncClient) -> None:
    await sign_in(portal, "community_officer", "210502")
    assert (await portal.get("/me")).status_code == 403
