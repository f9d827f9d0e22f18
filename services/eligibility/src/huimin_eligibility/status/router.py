"""HTTP routes for status look-ups (资格查询) and the certificate keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from huimin_eligibility.common import Instant, PolicyDate
from huimin_eligibility.deps import StatusReader
from huimin_eligibility.status import service
from huimin_eligibility.status.schemas import BulkStatusOut, BulkStatusRequest, Jwks, StatusOut
from huimin_eligibility.status.signing import CertificateSigner, signer_of
from huimin_shared.app import DriverConnectionDep, open_route
from huimin_shared.errors import problem_responses
from huimin_shared.idnumber import ResidentIdNumber

router = APIRouter(prefix="/v1", tags=["status"])
well_known_router = APIRouter(tags=["status"])
SignerDep = Annotated[CertificateSigner, Depends(signer_of)]


@router.get(
    "/residents/{id_number}/status",
    response_model=StatusOut,
    summary="Is this person subsidised on this date?",
    description="资格查询: eligible or not on `on` as known at `as_of` (default now), the categories, the age "
    "group on 1 January of the year, region, employee insurance and why excluded (E3), the national "
    "platform codes (insutype 391, psn_type 14/15/16) and a signed certificate (JWS, EdDSA) that others "
    "verify with /.well-known/jwks.json. E5: after an exit the person stays eligible until the year ends. "
    "404 when the resident is unknown — or was not yet registered at `as_of`. The read is logged (a service "
    "acting for a user with `X-On-Behalf-Of` is logged as that user, whose region limit then applies). "
    "A `resident` token reads its own status and certificate only (403 for anyone else's).",
    responses=problem_responses(401, 403, 404, 422),
)
async def resident_status(
    id_number: ResidentIdNumber,
    principal: StatusReader,
    connection: DriverConnectionDep,
    signer: SignerDep,
    on: Annotated[PolicyDate, Query(description="Policy date, YYYY-MM-DD.")],
    as_of: Instant | None = Query(
        default=None, description="Transaction time (ISO 8601 with zone); default now."
    ),
) -> StatusOut:
    return await service.status(connection, id_number, on, as_of, principal, signer)


@router.post(
    "/status/bulk",
    operation_id="getBulkStatus",
    response_model=BulkStatusOut,
    summary="Status of up to 1,000 residents at once",
    description="批量资格查询: the status of each ID number on `on` as known at `as_of`, in one statement that "
    "also writes one read-log row per resident found. Unknown numbers are listed in `not_found`.",
    responses=problem_responses(401, 403, 422),
)
async def bulk_status(
    body: BulkStatusRequest, principal: StatusReader, connection: DriverConnectionDep, signer: SignerDep
) -> BulkStatusOut:
    as_of, items, missing = await service.statuses(
        connection, body.id_numbers, body.on, body.as_of, principal, signer, "status_bulk"
    )
    return BulkStatusOut(on=body.on, as_of=as_of, items=items, not_found=missing)


@well_known_router.get(
    "/.well-known/jwks.json",
    response_model=Jwks,
    summary="Keys that verify status certificates",
    description="证书公钥: the JWKS (Ed25519, alg EdDSA) for the `certificate` of a status answer. Open.",
)
@open_route
async def jwks(signer: SignerDep) -> Jwks:
    """The public keys that verify status certificates (open, like /health)."""
    return Jwks.model_validate(signer.jwks())
