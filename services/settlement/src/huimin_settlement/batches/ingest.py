"""The bulk load of a batch's lines: premium's stream straight into COPY, checked and written in SQL
(``batches.staging``), or — for marginal instalment 2 of the same version — copied from instalment 1."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_settlement.batches import rules, staging
from huimin_settlement.batches.repository import BatchRepository
from huimin_settlement.batches.rules import BatchKind
from huimin_settlement.batches.snapshots import Groups
from huimin_settlement.peers import MalformedPeerAnswer, PremiumClient, parse_line
from huimin_shared import areas


@dataclass(frozen=True, slots=True)
class LinePlan:
    """Which of a version's lines a batch takes and what it pays of each.

    ``kind`` is the batch's own; ``pays_kind`` the kind whose lines it pays (an adjustment batch pays
    as the batch it adjusts does), ``instalment`` the half a marginal batch pays, ``paid_through`` the
    version whose changes an adjustment batch's money already includes. ``people``, when given, narrows
    the batch to those ID numbers (a batch that pays some people only); None pays everyone taken."""

    batch_id: uuid.UUID
    city: str
    assessment_id: str
    version: int
    kind: BatchKind
    pays_kind: BatchKind
    instalment: int = 0
    paid_through: int = 0
    people: Sequence[str] | None = None

    @property
    def line_kind(self) -> str | None:
        return "adjustment" if self.kind is BatchKind.adjustment else None

    @property
    def records_odd_fen(self) -> bool:
        """Instalment 1 records each payer's odd fen so instalment 2 can be computed from its lines."""
        return self.kind is BatchKind.marginal_instalment and self.instalment == 1


async def stream_lines(session: AsyncSession, premium: PremiumClient, plan: LinePlan, groups: Groups) -> None:
    """Only the lines of the categories (and, for an adjustment batch, the line kind) the batch takes,
    streamed once from premium into COPY, then written to the batch in one ``INSERT … SELECT``.

    A regular batch pays every line of its kind, regular and adjustment (a version's due is the sum
    of both); an adjustment batch pays the adjustment lines made since ``paid_through``. Marginal
    instalments halve every line the same way, so instalment 1 (from v1, plus its adjustment from
    v2) and instalment 2 (from v2) add up to each person's v2 amount to the fen (B§四(二), P6). The lines
    streamed must add up to the groups of the categories asked for, to the fen, or premium's answer is
    refused."""
    categories = {c for c in groups.categories() if rules.takes_line(plan.pays_kind, c, "regular")}
    wanted = groups.totals(categories, plan.line_kind)
    if wanted.count == 0:  # nothing to read
        return
    every_category = categories == groups.categories()
    repository = StagingLoad(session)
    await repository.staging.open()
    await repository.staging.copy_ndjson(
        premium.lines_ndjson(
            plan.assessment_id, plan.version, None if every_category else sorted(categories), plan.line_kind
        )
    )
    await repository.parse(plan)
    streamed, bad, outside = await repository.staging.streamed(areas.prefix_of(plan.city))
    if bad is not None:
        await repository.refuse_line(plan, bad)
    if outside is not None:
        parsed = parse_line(await repository.staging.doc(outside) or "")
        raise MalformedPeerAnswer("premium", f"a line lies in {parsed.region_code}, outside {plan.city}")
    if streamed != wanted:
        raise MalformedPeerAnswer(
            "premium",
            f"assessment {plan.assessment_id} v{plan.version} sent {streamed.count} lines totalling "
            f"{streamed.total} of {', '.join(sorted(categories))}; its groups say {wanted.count} lines "
            f"totalling {wanted.total}",
        )
    paid = staging.paid_sql(plan.kind, plan.pays_kind, plan.instalment)
    values = staging.line_values(plan.batch_id, rules.CLAUSE[plan.pays_kind], plan.paid_through, plan.people)
    if await repository.staging.block_count(paid, values) > rules.MAX_BLOCKS:
        raise MalformedPeerAnswer("premium", "more region and category groups than a batch can number")
    await repository.staging.insert_lines(paid, "k.odd_fen" if plan.records_odd_fen else "NULL", values)
    await repository.staging.close()


async def second_instalment(session: AsyncSession, first: uuid.UUID, batch_id: uuid.UUID) -> None:
    """Instalment 2 from instalment 1's lines of the same assessment version, copied in SQL (B§四(二)):
    the same people, each payer's part less the odd fen instalment 1 carried (``ByPayer.less_odd_fen``)
    — what streaming the version's marginal lines again would give, to the fen."""
    await BatchRepository(session).copy_second_instalment(first, batch_id, rules.BLOCK)


class StagingLoad:
    """The staging table of one load, and the rare paths that name what premium got wrong."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.staging = staging.StagingRepository(session)

    async def parse(self, plan: LinePlan) -> None:
        """Type every staged line; a line PostgreSQL cannot read (not JSON, a version that is not a
        number) is found again in Python to name it."""
        try:
            async with self.session.begin_nested():
                await self.staging.parse()
        except DBAPIError as exc:
            for number, doc in await self.staging.docs():
                _parsed(doc, number, plan)
            raise MalformedPeerAnswer(
                "premium", f"assessment {plan.assessment_id} v{plan.version} has a malformed line: {exc.orig}"
            ) from exc

    async def refuse_line(self, plan: LinePlan, number: int) -> None:
        _parsed(await self.staging.doc(number) or "", number, plan)
        raise MalformedPeerAnswer(
            "premium", f"line {number} of assessment {plan.assessment_id} v{plan.version} is malformed"
        )


def _parsed(doc: str, number: int, plan: LinePlan) -> None:
    """``parse_line``'s refusal of a line, as premium's malformed answer naming the line."""
    try:
        parse_line(doc)
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedPeerAnswer(
            "premium", f"line {number} of assessment {plan.assessment_id} v{plan.version} is malformed: {exc}"
        ) from exc
