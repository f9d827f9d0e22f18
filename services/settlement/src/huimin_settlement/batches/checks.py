"""The checks a batch request passes before anything is read in bulk or written: its shape, the batch
it adjusts (and what that batch's adjustments already paid), and the assessment version it pins."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from huimin_settlement.batches import rules
from huimin_settlement.batches.errors import AssessmentOutdated, BatchStateConflict
from huimin_settlement.batches.models import Batch
from huimin_settlement.batches.repository import BatchRepository
from huimin_settlement.peers import AssessmentVersion
from huimin_shared import areas
from huimin_shared.errors import Conflict, FieldProblem, ValidationFailed


@dataclass(frozen=True, slots=True)
class BatchRequest:
    city: str
    year: int
    kind: rules.BatchKind
    assessment_id: str
    assessment_version: int
    instalment: int = 0
    adjusts_batch_id: uuid.UUID | None = None
    own_shares_paid_by: date | None = None  # S3: own shares recorded as paid by this day (default: due day)


def check_shape(request: BatchRequest) -> None:
    problems: list[FieldProblem] = []
    if request.kind is rules.BatchKind.marginal_instalment and request.instalment not in (1, 2):
        problems.append(
            FieldProblem(
                field="body.instalment", reason="marginal instalments are 1 (15 January) or 2 (10 July)"
            )
        )
    if request.kind is not rules.BatchKind.marginal_instalment and request.instalment != 0:
        problems.append(
            FieldProblem(field="body.instalment", reason="only marginal_instalment batches have one")
        )
    if (request.kind is rules.BatchKind.adjustment) != (request.adjusts_batch_id is not None):
        problems.append(
            FieldProblem(
                field="body.adjusts_batch_id", reason="required for adjustment batches, and only for them"
            )
        )
    if problems:
        raise ValidationFailed("; ".join(f"{p.field}: {p.reason}" for p in problems), errors=problems)


async def adjusted_batch(repository: BatchRepository, request: BatchRequest) -> Batch:
    if request.adjusts_batch_id is None:
        raise RuntimeError("request.adjusts_batch_id is missing")
    # locked: two adjustments of one batch prepared at once serialise here (S4: no change paid twice)
    adjusted = await repository.batch(request.adjusts_batch_id, for_update=True)
    if adjusted is None:
        raise ValidationFailed(
            "no such batch to adjust",
            errors=[FieldProblem(field="body.adjusts_batch_id", reason="no such batch")],
        )
    if adjusted.city_code != request.city or adjusted.year != request.year:
        raise ValidationFailed(
            "the adjusted batch is of another city or year",
            errors=[FieldProblem(field="body.adjusts_batch_id", reason="another city or year")],
        )
    if (
        adjusted.assessment_id != request.assessment_id
        or adjusted.assessment_version >= request.assessment_version
    ):
        raise ValidationFailed(
            "an adjustment batch pays a newer version of the adjusted batch's assessment",
            errors=[
                FieldProblem(field="body.assessment_version", reason="not newer than the adjusted batch's")
            ],
        )
    if adjusted.kind == rules.BatchKind.adjustment.value:
        raise ValidationFailed(
            "an adjustment batch adjusts the original batch, not another adjustment",
            errors=[
                FieldProblem(
                    field="body.adjusts_batch_id",
                    reason=f"batch {adjusted.id} is an adjustment; name the batch it adjusts "
                    f"({adjusted.adjusts_batch_id})",
                )
            ],
        )
    if adjusted.state != rules.BatchState.executed.value:
        raise BatchStateConflict(
            f"batch {adjusted.id} is {adjusted.state}; only an executed batch is adjusted"
        )
    return adjusted


async def paid_through(repository: BatchRepository, request: BatchRequest, adjusted: Batch) -> int:
    """The assessment version whose changes the adjusted batch's money already includes.

    The adjusted batch paid version k in full; each executed (or bank-reserved) adjustment of it
    from version m paid the changes up to m. A newer adjustment pays only the adjustment lines
    made since (``adjusts_version >= m``): the older ones are carried lines already paid (S4). An
    adjustment still prepared or approved must be executed or cancelled first, or two batches
    would pay the same change.
    """
    paid_through = adjusted.assessment_version
    for other in await repository.adjustments_of(adjusted.id):
        if other.state == rules.BatchState.cancelled.value:
            continue
        if other.state in (rules.BatchState.prepared.value, rules.BatchState.approved.value):
            raise Conflict(
                f"adjustment batch {other.id} of batch {adjusted.id} (assessment v{other.assessment_version}) "
                f"is {other.state}; execute or cancel it before preparing another",
                extra={"batch_id": str(other.id)},
            )
        if other.assessment_version >= request.assessment_version:
            raise Conflict(
                f"adjustment batch {other.id} already paid batch {adjusted.id}'s changes up to assessment "
                f"v{other.assessment_version}",
                extra={"batch_id": str(other.id)},
            )
        paid_through = max(paid_through, other.assessment_version)
    return paid_through


def check_assessment(request: BatchRequest, version: AssessmentVersion, adjusted: Batch | None) -> None:
    if version.version != version.latest_version:
        raise AssessmentOutdated(
            f"assessment {request.assessment_id} v{request.assessment_version} is outdated: the latest version is "
            f"v{version.latest_version}; build the batch from the latest version (an adjustment batch pays the change)",
            extra={"latest_version": version.latest_version},
        )
    if version.status != "complete":
        raise Conflict(
            f"assessment {request.assessment_id} v{version.version} is {version.status}, not complete"
        )
    problems: list[FieldProblem] = []
    if not areas.contains(request.city, version.region):
        problems.append(
            FieldProblem(
                field="body.assessment_id", reason=f"assesses {version.region}, not in {request.city}"
            )
        )
    if version.year != request.year:
        problems.append(FieldProblem(field="body.year", reason=f"the assessment is for {version.year}"))
    wanted = rules.ASSESSMENT_KIND[request.kind]
    if wanted is not None and version.kind != wanted:
        problems.append(
            FieldProblem(
                field="body.kind",
                reason=f"{request.kind.value} is paid from a {wanted} assessment, not {version.kind}",
            )
        )
    if problems:
        raise ValidationFailed("; ".join(f"{p.field}: {p.reason}" for p in problems), errors=problems)
