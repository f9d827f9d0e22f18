"""Settlement batches (S3, S4): prepared from a pinned premium assessment, approved by a second
person with the finance role (maker-checker), executed once — even when executed twice at once."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_settlement import events
from huimin_settlement.batches import rules
from huimin_settlement.batches.models import Batch
from huimin_settlement.batches.repository import BatchRepository
from huimin_settlement.ledger import rules as ledger_rules
from huimin_settlement.ledger.models import Transfer
from huimin_settlement.ledger.service import LedgerService, NewTransfer
from huimin_settlement.own_shares.service import OwnShareService
from huimin_settlement.peers import (
    PAYERS,
    AssessmentLine,
    AssessmentVersion,
    MalformedPeerAnswer,
    PremiumClient,
)
from huimin_shared import areas
from huimin_shared.auth import Principal, Role
from huimin_shared.errors import Conflict, FieldProblem, Forbidden, NotFound, ValidationFailed
from huimin_shared.money import format_fen, from_fen, to_fen

COPY_CHUNK = 20_000
BLOCK = 10_000_000  # line numbers per region and category
MAX_BLOCKS = 214  # keeps line_no within a 32-bit integer
BANK_TIMEOUT = timedelta(days=30)


class AssessmentOutdated(Conflict):
    slug = "assessment-outdated"
    title = "The assessment version is no longer the latest"


class BatchStateConflict(Conflict):
    slug = "batch-state"
    title = "The batch is not in the state this step needs"


class ControlTotalsMismatch(Conflict):
    slug = "control-totals-mismatch"
    title = "The batch's control totals no longer match its lines"


@dataclass(frozen=True, slots=True)
class BatchRequest:
    city: str
    year: int
    kind: rules.BatchKind
    assessment_id: str
    assessment_version: int
    instalment: int = 0
    adjusts_batch_id: uuid.UUID | None = None
    own_shares_paid_by: date | None = None


@dataclass(frozen=True, slots=True)
class PlannedTransfer:
    id: uuid.UUID
    debit_account_id: int
    credit_account_id: int
    amount: Decimal
    region_code: str
    category: str
    payer_level: str
    line_first: int
    line_last: int


class _Totals:
    """Running line count and sums in whole fen (integers: exact and fast on the bulk path)."""

    __slots__ = ("count", "fen")

    def __init__(self) -> None:
        self.count = 0
        self.fen = [0, 0, 0, 0]

    def add(self, by_payer: tuple[int, int, int, int]) -> None:
        self.count += 1
        fen = self.fen
        fen[0] += by_payer[0]
        fen[1] += by_payer[1]
        fen[2] += by_payer[2]
        fen[3] += by_payer[3]

    @property
    def total(self) -> Decimal:
        return from_fen(sum(self.fen))

    def payers(self) -> list[Decimal]:
        return [from_fen(fen) for fen in self.fen]


async def _no_lines() -> AsyncIterator[AssessmentLine]:
    """A batch whose categories hold no line reads none."""
    none: list[AssessmentLine] = []
    for line in none:
        yield line


class BatchService:
    def __init__(self, session: AsyncSession, premium: PremiumClient | None = None) -> None:
        self.session = session
        self.premium = premium
        self.repository = BatchRepository(session)
        self.ledger = LedgerService(session)

    async def get(self, batch_id: uuid.UUID, principal: Principal | None = None) -> Batch:
        batch = await self.repository.batch(batch_id)
        if batch is None:
            raise NotFound(f"no batch {batch_id}")
        if principal is not None:
            principal.ensure_covers(batch.city_code)
        return batch

    # prepare ------------------------------------------------------------------------------------
    async def prepare(self, request: BatchRequest, principal: Principal) -> Batch:
        principal.ensure_covers(request.city)
        if self.premium is None:
            raise RuntimeError("premium is missing")
        self._check_shape(request)
        adjusted = await self._adjusted_batch(request) if request.kind is rules.BatchKind.adjustment else None
        await self.ledger.chart(request.city)
        version = await self.premium.assessment_version(request.assessment_id, request.assessment_version)
        self._check_assessment(request, version, adjusted)
        existing = await self.repository.live_batch_of_assessment(
            request.city, request.kind.value, request.instalment, request.assessment_id
        )
        if existing is not None and request.kind is not rules.BatchKind.adjustment:
            raise Conflict(
                f"batch {existing.id} ({existing.state}) already pays {request.kind.value} from assessment "
                f"{request.assessment_id} v{existing.assessment_version}; a new version is paid by an adjustment "
                "batch, or cancel the unexecuted batch first",
                extra={"batch_id": str(existing.id)},
            )
        paid_through = await self._paid_through(request, adjusted) if adjusted is not None else 0
        batch_id = uuid.uuid4()
        pays_kind = rules.BatchKind(adjusted.kind) if adjusted is not None else request.kind
        first = (
            await self.repository.first_instalment_of(
                request.city, request.assessment_id, request.assessment_version
            )
            if request.kind is rules.BatchKind.marginal_instalment and request.instalment == 2
            else None
        )
        if first is not None and (
            first.carry_no or await OwnShareService(self.session).any_withheld(first.id)
        ):
            first = None  # instalment 1 left people out: stream the version's lines (S3)
        if first is not None:
            totals = await self._second_instalment(request, version, batch_id, first)
        else:
            totals = await self._ingest(request, version, batch_id, pays_kind, adjusted, paid_through)
        if request.kind is rules.BatchKind.marginal_instalment and await OwnShareService(
            self.session
        ).withhold(
            batch_id,
            request.year,
            request.own_shares_paid_by or rules.due_on(request.kind, request.year, request.instalment),
        ):  # S3: people who had not paid their own share left the batch; count what is left
            totals = _Totals()
            totals.count, _total, *payers = await self.repository.line_totals(batch_id)
            totals.fen = [to_fen(amount) for amount in payers]
        previous = await self.repository.previous_of_kind(
            request.city, request.kind.value, request.instalment, adjusted, batch_id
        )
        payers = totals.payers()
        values: dict[str, Any] = {
            "id": batch_id,
            "city_code": request.city,
            "year": request.year,
            "kind": request.kind.value,
            "instalment": request.instalment,
            "assessment_id": request.assessment_id,
            "assessment_version": request.assessment_version,
            "adjusts_batch_id": request.adjusts_batch_id,
            "previous_batch_id": previous.id if previous else None,
            "due_on": rules.due_on(request.kind, request.year, request.instalment),
            "state": rules.BatchState.prepared.value,
            "line_count": totals.count,
            "control_total": totals.total,
            "control_central": payers[0],
            "control_province": payers[1],
            "control_city": payers[2],
            "control_district_or_county": payers[3],
            "prepared_by": principal.subject,
        }
        try:
            async with self.session.begin_nested():
                await self.repository.insert_batch(values)
        except IntegrityError as exc:
            raise Conflict("a live batch of this kind for this assessment version already exists") from exc
        await self.repository.add_event(
            batch_id, rules.BatchState.prepared.value, principal.subject, "prepared"
        )
        return await self.get(batch_id)

    @staticmethod
    def _check_shape(request: BatchRequest) -> None:
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

    async def _adjusted_batch(self, request: BatchRequest) -> Batch:
        if request.adjusts_batch_id is None:
            raise RuntimeError("request.adjusts_batch_id is missing")
        # locked: two adjustments of one batch prepared at once serialise here (S4: no change paid twice)
        adjusted = await self.repository.batch(request.adjusts_batch_id, for_update=True)
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
                    FieldProblem(
                        field="body.assessment_version", reason="not newer than the adjusted batch's"
                    )
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

    async def _paid_through(self, request: BatchRequest, adjusted: Batch) -> int:
        """The assessment version whose changes the adjusted batch's money already includes.

        The adjusted batch paid version k in full; each executed (or bank-reserved) adjustment of it
        from version m paid the changes up to m. A newer adjustment pays only the adjustment lines
        made since (``adjusts_version >= m``): the older ones are carried lines already paid (S4). An
        adjustment still prepared or approved must be executed or cancelled first, or two batches
        would pay the same change.
        """
        paid_through = adjusted.assessment_version
        for other in await self.repository.adjustments_of(adjusted.id):
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

    def _check_assessment(
        self, request: BatchRequest, version: AssessmentVersion, adjusted: Batch | None
    ) -> None:
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

    async def _ingest(
        self,
        request: BatchRequest,
        version: AssessmentVersion,
        batch_id: uuid.UUID,
        pays_kind: rules.BatchKind,
        adjusted: Batch | None,
        paid_through: int = 0,
    ) -> _Totals:
        """The snapshot's group sums from premium's grouped read, then only the lines of the categories (and,
        for an adjustment batch, the line kind) this batch takes, streamed once into the batch by COPY.

        A regular batch pays every line of its kind, regular and adjustment (a version's due is the sum
        of both); an adjustment batch pays the adjustment lines made since ``paid_through``. Marginal
        instalments halve every line the same way, so instalment 1 (from v1, plus its adjustment from
        v2) and instalment 2 (from v2) add up to each person's v2 amount to the fen (B§四(二), P6).
        The groups must add up to the version's header totals, and the lines streamed to the groups of the
        categories asked for, to the fen — or premium's answer is refused."""
        if self.premium is None:
            raise RuntimeError("premium is missing")
        blocks: dict[tuple[str, str], list[int]] = {}
        kind = request.kind
        instalment = adjusted.instalment if adjusted is not None else request.instalment
        prefix = areas.prefix_of(request.city)
        groups, seen = await self._premium_groups(version, request.city)
        line_kind = "adjustment" if kind is rules.BatchKind.adjustment else None
        categories = {c for (_r, c, _a, _k) in groups if rules.takes_line(pays_kind, c, "regular")}
        wanted = _Totals()
        for (_r, category, _a, kind_of_line), group in groups.items():
            if category in categories and line_kind in (None, kind_of_line):
                wanted.count += group[0]
                for i in range(4):
                    wanted.fen[i] += group[2 + i]
        every_category = categories == {key[1] for key in groups}
        streamed = _Totals()
        batch_totals = _Totals()
        chunk: list[tuple[Any, ...]] = []
        clause = rules.CLAUSE[pays_kind]
        # instalment 1 records each payer's odd fen so instalment 2 can be computed from its lines
        records_odd = kind is rules.BatchKind.marginal_instalment and instalment == 1
        yuan_text = format_fen  # a local name: the loop below runs once per resident
        writer = await self.repository.line_writer()
        try:
            lines = (
                self.premium.lines(
                    request.assessment_id,
                    request.assessment_version,
                    None if every_category else sorted(categories),
                    line_kind,
                )
                if wanted.count
                else _no_lines()
            )
            async for line in lines:
                if not line.region_code.startswith(prefix):
                    raise MalformedPeerAnswer(
                        "premium", f"a line lies in {line.region_code}, outside {request.city}"
                    )
                streamed.add(line.by_payer_fen)
                if not rules.takes_line(
                    kind, line.category, line.line_kind, line.adjusts_version, paid_through
                ):
                    continue
                if kind is rules.BatchKind.adjustment and not rules.takes_line(
                    pays_kind, line.category, "regular"
                ):
                    continue
                amounts = rules.line_amounts_fen(pays_kind, instalment, line.by_payer_fen)
                line_fen = amounts[0] + amounts[1] + amounts[2] + amounts[3]
                if line_fen == 0:
                    continue
                batch_totals.add(amounts)
                block = blocks.get((line.region_code, line.category))
                if block is None:
                    if len(blocks) >= MAX_BLOCKS:
                        raise MalformedPeerAnswer(
                            "premium", "more region and category groups than a batch can number"
                        )
                    block = blocks[(line.region_code, line.category)] = [len(blocks) * BLOCK]
                block[0] += 1
                fen = line.by_payer_fen
                odd = (
                    (fen[0] & 1 | (fen[1] & 1) << 1 | (fen[2] & 1) << 2 | (fen[3] & 1) << 3)
                    if records_odd
                    else None
                )
                chunk.append(
                    (
                        batch_id,
                        block[0],
                        line.id_number,
                        line.region_code,
                        line.category,
                        line.age_group,
                        line.line_kind,
                        line.adjusts_version,
                        yuan_text(line_fen),
                        yuan_text(amounts[0]),
                        yuan_text(amounts[1]),
                        yuan_text(amounts[2]),
                        yuan_text(amounts[3]),
                        line.citation[:200] or clause,
                        odd,
                    )
                )
                if len(chunk) >= COPY_CHUNK:
                    await writer.write(chunk)
                    chunk = []
            await writer.write(chunk)
            await writer.flush()
        except BaseException:
            await writer.abandon()
            raise
        if streamed.count != wanted.count or streamed.fen != wanted.fen:
            raise MalformedPeerAnswer(
                "premium",
                f"assessment {version.id} v{version.version} sent {streamed.count} lines totalling "
                f"{streamed.total} of {', '.join(sorted(categories))}; its groups say {wanted.count} lines "
                f"totalling {wanted.total}",
            )
        await self.repository.insert_snapshot(
            self._snapshot_values(request.city, version, seen), self._group_values(groups)
        )
        return batch_totals

    async def _second_instalment(
        self, request: BatchRequest, version: AssessmentVersion, batch_id: uuid.UUID, first: Batch
    ) -> _Totals:
        """Instalment 2 from instalment 1's lines of the same assessment version, copied in SQL (B§四(二)):
        the same people, each payer's part less the odd fen instalment 1 carried — what streaming the
        version's marginal lines again would give, to the fen. The snapshot still comes from premium's
        grouped read, checked against the header."""
        groups, seen = await self._premium_groups(version, request.city)
        await self.repository.copy_second_instalment(first.id, batch_id, BLOCK)
        count, _total, *payers = await self.repository.line_totals(batch_id)
        totals = _Totals()
        totals.count = count
        totals.fen = [to_fen(amount) for amount in payers]
        await self.repository.insert_snapshot(
            self._snapshot_values(request.city, version, seen), self._group_values(groups)
        )
        return totals

    async def _premium_groups(
        self, version: AssessmentVersion, city: str | None = None
    ) -> tuple[dict[tuple[str, str, str, str], list[int]], _Totals]:
        """Premium's grouped read of a version (one GROUP BY there), checked against the version's header
        totals to the fen; with ``city``, every group must lie in it."""
        if self.premium is None:
            raise RuntimeError("premium is missing")
        groups: dict[tuple[str, str, str, str], list[int]] = {}
        seen = _Totals()
        prefix = areas.prefix_of(city) if city is not None else ""
        for group in await self.premium.groups(version.id, version.version):
            if not group.region_code.startswith(prefix):
                raise MalformedPeerAnswer("premium", f"a line lies in {group.region_code}, outside {city}")
            key = (group.region_code, group.category, group.age_group, group.line_kind)
            if key in groups:
                raise MalformedPeerAnswer("premium", f"group {key} is sent twice")
            groups[key] = [group.count, group.subsidy_fen, *group.by_payer_fen]
            seen.count += group.count
            for i in range(4):
                seen.fen[i] += group.by_payer_fen[i]
        if (
            seen.count != version.line_count
            or seen.total != version.total
            or [seen.payers()[i] for i in range(4)] != [version.by_payer[p] for p in PAYERS]
        ):
            raise MalformedPeerAnswer(
                "premium",
                f"assessment {version.id} v{version.version} sent groups of {seen.count} lines totalling "
                f"{seen.total}; its header says {version.line_count} lines totalling {version.total}",
            )
        return groups, seen

    async def ensure_snapshot(self, city: str, assessment_id: str, version_no: int, kind: str) -> int:
        """The snapshot of an assessment version (read from premium once, pinned, latest only): premium's
        grouped read, checked against the version's header totals."""
        if self.premium is None:
            raise RuntimeError("premium is missing")
        existing = await self.repository.snapshot(assessment_id, version_no)
        version = await self.premium.assessment_version(assessment_id, version_no)
        if version.version != version.latest_version:
            raise AssessmentOutdated(
                f"assessment {assessment_id} v{version_no} is outdated: the latest version is v{version.latest_version}",
                extra={"latest_version": version.latest_version},
            )
        if existing is not None:
            return existing.id
        if version.status != "complete" or version.kind != kind or not areas.contains(city, version.region):
            raise ValidationFailed(
                f"assessment {assessment_id} v{version_no} is a {version.status} {version.kind} assessment of "
                f"{version.region}; a complete {kind} assessment of {city} is needed",
                errors=[
                    FieldProblem(
                        field="body.assessment_id", reason=f"not a complete {kind} assessment of {city}"
                    )
                ],
            )
        groups, seen = await self._premium_groups(version)
        snapshot_id = await self.repository.insert_snapshot(
            self._snapshot_values(city, version, seen), self._group_values(groups)
        )
        if snapshot_id is None:
            found = await self.repository.snapshot(assessment_id, version_no)
            if found is None:
                raise RuntimeError("found is missing")
            return found.id
        return snapshot_id

    @staticmethod
    def _snapshot_values(city: str, version: AssessmentVersion, seen: _Totals) -> dict[str, Any]:
        return {
            "assessment_id": version.id,
            "version": version.version,
            "city_code": city,
            "region": version.region,
            "year": version.year,
            "kind": version.kind,
            "line_count": seen.count,
            "total": seen.total,
        }

    @staticmethod
    def _group_values(groups: dict[tuple[str, str, str, str], list[int]]) -> list[dict[str, Any]]:
        return [
            {
                "region_code": key[0],
                "category": key[1],
                "age_group": key[2],
                "line_kind": key[3],
                "line_count": value[0],
                "amount": from_fen(value[1]),
                "central": from_fen(value[2]),
                "province": from_fen(value[3]),
                "city": from_fen(value[4]),
                "district_or_county": from_fen(value[5]),
            }
            for key, value in sorted(groups.items())
        ]

    # approve, cancel ----------------------------------------------------------------------------
    async def approve(self, batch_id: uuid.UUID, principal: Principal) -> Batch:
        """Maker-checker: another person with the finance role; control totals must still match the lines."""
        batch = await self.get(batch_id, principal)
        if Role.finance not in principal.roles:
            raise Forbidden("approving a batch needs the finance role")
        if batch.prepared_by == principal.subject:
            raise Forbidden(
                f"batch {batch_id} was prepared by {principal.subject}; another person approves it"
            )
        if batch.state != rules.BatchState.prepared.value:
            raise BatchStateConflict(f"batch {batch_id} is {batch.state}; only a prepared batch is approved")
        count, total, central, province, city, district = await self.repository.line_totals(batch_id)
        stored = (
            batch.line_count,
            batch.control_total,
            batch.control_central,
            batch.control_province,
            batch.control_city,
            batch.control_district_or_county,
        )
        if (count, total, central, province, city, district) != stored:
            raise ControlTotalsMismatch(
                f"batch {batch_id}: control totals say {batch.line_count} lines totalling {batch.control_total}; "
                f"its lines now count {count} totalling {total}. The batch is not approved; cancel and prepare it again"
            )
        if self.premium is not None:
            latest = await self.premium.latest_version(batch.assessment_id)
            if latest != batch.assessment_version:
                raise AssessmentOutdated(
                    f"assessment {batch.assessment_id} has moved on to v{latest}; batch {batch_id} was built from "
                    f"v{batch.assessment_version}. Cancel it and prepare one from v{latest}",
                    extra={"latest_version": latest},
                )
        if not await self.repository.compare_and_set(
            batch_id,
            "prepared",
            "approved",
            principal.subject,
            "approved",
            approved_by=principal.subject,
            approved_at=datetime.now(UTC),
        ):
            raise BatchStateConflict(f"batch {batch_id} changed state while being approved")
        return await self.get(batch_id)

    async def cancel(self, batch_id: uuid.UUID, principal: Principal, reason: str | None) -> Batch:
        batch = await self.get(batch_id, principal)
        for expected in ("prepared", "approved"):
            if await self.repository.compare_and_set(
                batch_id, expected, "cancelled", principal.subject, reason
            ):
                return await self.get(batch_id)
        raise BatchStateConflict(
            f"batch {batch_id} is {batch.state}; only a prepared or approved batch is cancelled"
        )

    # execute ------------------------------------------------------------------------------------
    async def planned_transfers(self, batch: Batch) -> list[PlannedTransfer]:
        """The transfers the batch makes: one per region, category and paying level (lines keep the people)."""
        accounts = await self.ledger.chart(batch.city_code)
        fund = accounts[
            ledger_rules.account_code(ledger_rules.AccountType.medical_assistance_fund, batch.city_code)
        ]
        kind = rules.BatchKind(batch.kind)
        if kind is rules.BatchKind.adjustment and batch.adjusts_batch_id is not None:
            adjusted = await self.repository.batch(batch.adjusts_batch_id)
            if adjusted is None:
                raise RuntimeError("adjusted is missing")
            kind = rules.BatchKind(adjusted.kind)
        payee_type = (
            ledger_rules.AccountType.external_payee
            if kind is rules.BatchKind.refunds
            else ledger_rules.AccountType.resident_insurance_fund
        )
        payee = accounts[ledger_rules.account_code(payee_type, batch.city_code)]
        planned = []
        for region, category, first, last, *amounts in await self.repository.transfer_groups(batch.id):
            for payer, amount in zip(PAYERS, amounts, strict=True):
                if amount == 0:
                    continue
                forward = amount > 0
                planned.append(
                    PlannedTransfer(
                        id=ledger_rules.derived_transfer_id("batch", batch.id, region, category, payer),
                        debit_account_id=fund.id if forward else payee.id,
                        credit_account_id=payee.id if forward else fund.id,
                        amount=abs(Decimal(amount)),
                        region_code=region,
                        category=category,
                        payer_level=payer,
                        line_first=first,
                        line_last=last,
                    )
                )
        return planned

    def _code(self, batch: Batch) -> str:
        if batch.kind == rules.BatchKind.adjustment.value:
            return ledger_rules.TransferCode.adjustment.value
        if batch.kind == rules.BatchKind.refunds.value:
            return ledger_rules.TransferCode.refund.value
        return ledger_rules.TransferCode.assistance_payment.value

    async def execute(
        self, batch_id: uuid.UUID, principal: Principal, value_date: date, settle: str
    ) -> Batch:
        """Reserve every transfer (pending), then post them — or leave them for the bank to confirm.

        The batch row is locked first, so a second execution waits and then finds the work done; the
        transfers' ids are derived from batch and line key, so a re-run can only find them written.
        """
        batch = await self.repository.batch(batch_id, for_update=True)
        if batch is None:
            raise NotFound(f"no batch {batch_id}")
        principal.ensure_covers(batch.city_code)
        if batch.state in (rules.BatchState.prepared.value, rules.BatchState.cancelled.value):
            raise BatchStateConflict(f"batch {batch_id} is {batch.state}; only an approved batch is executed")
        if batch.state == rules.BatchState.approved.value:
            await self.reserve(batch, principal.subject, value_date)
        if settle == "ledger":
            await self.post_reserved(batch_id, principal.subject)
        return await self.get(batch_id)

    async def reserve(self, batch: Batch, actor: str, value_date: date) -> None:
        planned = await self.planned_transfers(batch)
        timeout_at = datetime.now(UTC) + BANK_TIMEOUT
        citation = rules.CLAUSE[rules.BatchKind(batch.kind)]
        await self.ledger.create_transfers(
            [
                NewTransfer(
                    id=p.id,
                    debit_account_id=p.debit_account_id,
                    credit_account_id=p.credit_account_id,
                    amount=p.amount,
                    code=self._code(batch),
                    value_date=value_date,
                    pending=True,
                    timeout_at=timeout_at,
                    citation=citation,
                    memo=f"batch {batch.kind} {batch.year}"
                    + (f" instalment {batch.instalment}" if batch.instalment else ""),
                    cover_year=batch.year,
                    region_code=p.region_code,
                    category=p.category,
                    payer_level=p.payer_level,
                    batch_id=batch.id,
                    batch_line_first=p.line_first,
                    batch_line_last=p.line_last,
                )
                for p in planned
            ],
            actor,
        )
        if not await self.repository.compare_and_set(
            batch.id,
            "approved",
            "reserved",
            actor,
            f"{len(planned)} transfers reserved",
            value_date=value_date,
        ):
            raise BatchStateConflict(f"batch {batch.id} changed state while being reserved")

    async def post_reserved(self, batch_id: uuid.UUID, actor: str) -> None:
        """Resume point after a crash between reserving and posting: posts what is still pending."""
        pending = await self.ledger.repository.list_transfers(
            city=None, region=None, batch_id=batch_id, state="pending", after=None, limit=10_000
        )
        await self.ledger.post([t.id for t in pending], actor, "batch executed")
        await self.settle_if_done([batch_id], actor)

    async def settle_if_done(self, batch_ids: list[uuid.UUID], actor: str) -> None:
        """A reserved batch whose transfers are all resolved is executed (voided ones are listed on it)."""
        for batch_id in sorted(set(batch_ids)):
            transfers = await self.transfers_of(batch_id)
            if any(t.state == "pending" for t in transfers):
                continue
            voided = sum(1 for t in transfers if t.state == "voided")
            reason = "all transfers posted" if not voided else f"{voided} transfers voided by the bank"
            if await self.repository.compare_and_set(
                batch_id, "reserved", "executed", actor, reason, executed_at=datetime.now(UTC)
            ):
                await events.batch_executed(self.repository.session, batch_id)

    async def transfers_of(self, batch_id: uuid.UUID) -> list[Transfer]:
        return await self.ledger.repository.list_transfers(
            city=None, region=None, batch_id=batch_id, state=None, after=None, limit=10_000
        )

    async def by_payer_moved(self, batch_id: uuid.UUID) -> dict[str, Decimal]:
        moved: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
        for transfer in await self.transfers_of(batch_id):
            if transfer.state == "posted" and transfer.payer_level:
                moved[transfer.payer_level] += transfer.amount
        return dict(moved)
