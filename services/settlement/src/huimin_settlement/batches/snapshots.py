"""Premium's figures as settlement pins them: a version's grouped totals, read once, checked against the
version's header to the fen, and kept as an assessment snapshot (used by batches and by funding)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from huimin_settlement.batches.errors import AssessmentOutdated
from huimin_settlement.batches.repository import BatchRepository
from huimin_settlement.batches.rules import PAYERS, ByPayer, LineTotals
from huimin_settlement.peers import AssessmentVersion, MalformedPeerAnswer, PremiumClient
from huimin_shared import areas
from huimin_shared.errors import FieldProblem, ValidationFailed

GroupKey = tuple[str, str, str, str]  # region, category, age group, line kind


class Groups(dict[GroupKey, LineTotals]):
    """A version's lines summed per region, category, age group and line kind."""

    def categories(self) -> set[str]:
        return {key[1] for key in self}

    def totals(self, categories: set[str] | None = None, line_kind: str | None = None) -> LineTotals:
        """The sum of the groups of ``categories`` (all when None) and ``line_kind`` (both when None)."""
        found = LineTotals()
        for (_region, category, _age, kind_of_line), totals in self.items():
            if (categories is None or category in categories) and line_kind in (None, kind_of_line):
                found += totals
        return found


async def groups(premium: PremiumClient, version: AssessmentVersion, city: str | None = None) -> Groups:
    """Premium's grouped read of a version (one GROUP BY there), checked against the version's header
    totals to the fen; with ``city``, every group must lie in it."""
    groups = Groups()
    prefix = areas.prefix_of(city) if city is not None else ""
    for group in await premium.groups(version.id, version.version):
        if not group.region_code.startswith(prefix):
            raise MalformedPeerAnswer("premium", f"a line lies in {group.region_code}, outside {city}")
        key = (group.region_code, group.category, group.age_group, group.line_kind)
        if key in groups:
            raise MalformedPeerAnswer("premium", f"group {key} is sent twice")
        groups[key] = LineTotals(group.count, ByPayer.of_fen(group.by_payer_fen))
    seen = groups.totals()
    header = LineTotals(version.line_count, ByPayer.of_yuan(*(version.by_payer[p] for p in PAYERS)))
    if seen != header or seen.total != version.total:
        raise MalformedPeerAnswer(
            "premium",
            f"assessment {version.id} v{version.version} sent groups of {seen.count} lines totalling "
            f"{seen.total}; its header says {version.line_count} lines totalling {version.total}",
        )
    return groups


async def record(session: AsyncSession, city: str, version: AssessmentVersion, groups: Groups) -> int | None:
    """Keep what the version said (once per version: a second record of it writes nothing)."""
    return await BatchRepository(session).insert_snapshot(
        _snapshot_values(city, version, groups.totals()), _group_values(groups)
    )


async def ensure_snapshot(
    session: AsyncSession, premium: PremiumClient, city: str, assessment_id: str, version_no: int, kind: str
) -> int:
    """The snapshot of an assessment version (read from premium once, pinned, latest only): premium's
    grouped read, checked against the version's header totals."""
    existing = await BatchRepository(session).snapshot(assessment_id, version_no)
    version = await premium.assessment_version(assessment_id, version_no)
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
                FieldProblem(field="body.assessment_id", reason=f"not a complete {kind} assessment of {city}")
            ],
        )
    snapshot_id = await record(session, city, version, await groups(premium, version))
    if snapshot_id is None:
        found = await BatchRepository(session).snapshot(assessment_id, version_no)
        if found is None:
            raise RuntimeError("found is missing")
        return found.id
    return snapshot_id


def _snapshot_values(city: str, version: AssessmentVersion, seen: LineTotals) -> dict[str, Any]:
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


def _group_values(groups: Groups) -> list[dict[str, Any]]:
    return [
        {
            "region_code": key[0],
            "category": key[1],
            "age_group": key[2],
            "line_kind": key[3],
            "line_count": totals.count,
            "amount": totals.total,
            **totals.by_payer.by_name(),
        }
        for key, totals in sorted(groups.items())
    ]
