"""Use cases for packs: load the shipped files, publish new versions through the API (draft → validated →
approved by another person), choose the approved pack for a place and year, check the floors."""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_policy.ages import reference_date
from huimin_policy.enums import AgeGroup, Category
from huimin_policy.packs.files import content_hash, shipped_packs
from huimin_policy.packs.model import Pack, cover_years
from huimin_premium import rules
from huimin_premium.packs.models import PackVersion
from huimin_premium.packs.repository import PackRepository
from huimin_premium.packs.schemas import (
    PackRef,
    PackState,
    PackSummary,
    PackValidation,
    Shortfall,
    Uncovered,
    ValidationReport,
)
from huimin_premium.parameters import YearParameters, resolve
from huimin_shared import areas
from huimin_shared.auth import Principal
from huimin_shared.errors import Conflict, FieldProblem, Forbidden, NotFound, OutOfRegion, Unprocessable
from huimin_shared.money import ZERO

log = structlog.get_logger(__name__)

NATIONAL = "national"

# N§一 leaves only these two to local definition; dibao (城市低保对象) is a national category every pack
# must reach (P5), so a pack that leaves it out falls short of its floors.
LOCALLY_DEFINED = frozenset({Category.low_income_elderly, Category.severely_disabled})


class PackConflict(RuntimeError):
    """A shipped pack file changed without a new version number."""


async def load_shipped(session: AsyncSession) -> list[PackRef]:
    """Store every shipped pack not yet stored; refuse a changed file that kept its version."""
    repository = PackRepository(session)
    loaded: list[PackRef] = []
    for pack in shipped_packs():
        digest = content_hash(pack)
        existing = await repository.get(pack.id, pack.version)
        if existing is not None:
            if existing.content_hash != digest:
                raise PackConflict(
                    f"pack {pack.id} v{pack.version} differs from the stored one; give the changed file a new version"
                )
            continue
        await repository.add(_row(pack, digest))
        loaded.append(PackRef(id=pack.id, version=pack.version))
        log.info("pack_loaded", pack=pack.id, version=pack.version)
    return loaded


def _row(pack: Pack, digest: str, *, proposed_by: str = "release", source: str = "shipped") -> PackVersion:
    return PackVersion(
        pack_id=pack.id,
        version=pack.version,
        title=pack.title,
        document=pack.document,
        region=pack.region,
        effective_from=pack.effective_from,
        illustrative=pack.illustrative,
        content=pack.model_dump(mode="json"),
        content_hash=digest,
        source=source,
        # shipped files were reviewed with the release; a version published through the API starts as a draft
        state=PackState.approved.value if source == "shipped" else PackState.draft.value,
        proposed_by=proposed_by,
    )


def summary(row: PackVersion) -> PackSummary:
    return PackSummary(
        id=row.pack_id,
        version=row.version,
        title=row.title,
        document=row.document,
        region=row.region,
        effective_from=row.effective_from,
        cover_years=list(cover_years(Pack.model_validate(row.content))),
        illustrative=row.illustrative,
        content_hash=row.content_hash,
        loaded_at=row.loaded_at,
        source=row.source,
        state=PackState(row.state),
        proposed_by=row.proposed_by,
        approved_by=row.approved_by,
        approved_at=row.approved_at,
    )


async def list_packs(session: AsyncSession, pack_id: str | None = None) -> list[PackSummary]:
    """Every stored version (of one pack, if named: 404 when it has none), oldest first."""
    rows = await PackRepository(session).list(pack_id)
    if pack_id is not None and not rows:
        raise NotFound(f"no pack {pack_id}")
    return [summary(row) for row in rows]


async def get(session: AsyncSession, pack_id: str, version: int) -> tuple[PackVersion, Pack]:
    row = await PackRepository(session).get(pack_id, version)
    if row is None:
        raise NotFound(f"no pack {pack_id} version {version}")
    return row, Pack.model_validate(row.content)


async def detail(session: AsyncSession, pack_id: str, version: int) -> tuple[PackSummary, Pack]:
    """One version's summary and its content, every value dated and cited."""
    row, pack = await get(session, pack_id, version)
    return summary(row), pack


async def latest_national(session: AsyncSession) -> Pack:
    rows = await PackRepository(session).list(NATIONAL, approved_only=True)
    if not rows:
        raise NotFound("the national pack is not loaded")
    return Pack.model_validate(rows[-1].content)


async def pack_for(session: AsyncSession, region_code: str, year: int) -> Pack:
    """The newest local pack in force for the place and cover year, else the national pack (N§二)."""
    on = reference_date(year)
    candidates = [
        row
        for row in await PackRepository(session).list(approved_only=True)
        if row.region is not None and areas.contains(row.region, region_code) and row.effective_from <= on
    ]
    if not candidates:
        return await latest_national(session)
    # The most specific region first, then the newest version.
    best = max(
        candidates,
        key=lambda row: (len(areas.prefix_of(row.region or "")), row.effective_from, row.version),
    )
    return Pack.model_validate(best.content)


async def parameters(
    session: AsyncSession,
    region_code: str,
    year: int,
    pinned: PackRef | None = None,
    national_version: int | None = None,
) -> YearParameters:
    if pinned is None:
        pack = await pack_for(session, region_code, year)
    else:
        row, pack = await get(session, pinned.id, pinned.version)
        if row.state != PackState.approved.value:
            raise Unprocessable(f"pack {pinned.id} v{pinned.version} is {row.state}, not approved")
        if pack.region is not None and not areas.contains(pack.region, region_code):
            raise Unprocessable(f"pack {pack.id} governs {pack.region}, not {region_code}")
    national = (
        (await get(session, NATIONAL, national_version))[1]
        if national_version is not None
        else await latest_national(session)
    )
    return resolve(pack, national, year)


async def validate(session: AsyncSession, pack: Pack, year: int) -> ValidationReport:
    """A pack (a candidate, or a stored one) against the latest national floors in ``year`` (P4–P5)."""
    return check_floors(pack, await latest_national(session), year)


async def validate_stored(session: AsyncSession, pack_id: str, version: int, year: int) -> ValidationReport:
    _row, pack = await get(session, pack_id, version)
    return await validate(session, pack, year)


# publishing ---------------------------------------------------------------------------------------
async def propose(session: AsyncSession, pack_id: str, pack: Pack, principal: Principal) -> PackSummary:
    """A new version of a pack as a draft, numbered after the newest stored one."""
    if pack.id != pack_id:
        raise Unprocessable(
            f"the body is pack {pack.id}, the path pack {pack_id}",
            errors=[FieldProblem(field="body.id", reason=f"must be {pack_id}, as in the path")],
        )
    if principal.region is not None and (
        pack.region is None or not areas.contains(principal.region, pack.region)
    ):
        raise OutOfRegion(
            f"a token for {principal.region} cannot publish a pack for {pack.region or 'the nation'}"
        )
    repository = PackRepository(session)
    await repository.lock_pack(pack_id)
    existing = await repository.list(pack_id)
    if existing and (existing[0].region is None) != (pack.region is None):
        raise Unprocessable(
            f"pack {pack_id} is {'national' if existing[0].region is None else 'local'}; a version cannot change that",
            errors=[FieldProblem(field="body.region", reason="keep the pack's kind: national or local")],
        )
    expected = await repository.latest_version(pack_id) + 1
    if pack.version != expected:
        raise Conflict(
            f"pack {pack_id} is at version {expected - 1}; propose version {expected}",
            errors=[FieldProblem(field="body.version", reason=f"must be {expected}")],
            extra={"expected_version": expected},
        )
    row = _row(pack, content_hash(pack), proposed_by=principal.subject, source="api")
    await repository.add(row)
    log.info("pack_proposed", pack=pack_id, version=pack.version, by=principal.subject)
    return summary(row)


async def validate_version(session: AsyncSession, pack_id: str, version: int) -> PackValidation:
    """P4–P5 in every cover year the version states values for; a version meeting them all becomes
    `validated`, one falling short stays a draft (its report says where)."""
    row = await _row_for_update(session, pack_id, version)
    if row.state == PackState.approved.value:
        raise Conflict(f"pack {pack_id} v{version} is already approved")
    pack = Pack.model_validate(row.content)
    national = pack if pack.region is None else await latest_national(session)
    reports = [check_floors(pack, national, year) for year in cover_years(pack)]
    valid = all(report.valid for report in reports)
    row.validation = [report.model_dump(mode="json") for report in reports]
    row.state = (PackState.validated if valid else PackState.draft).value
    row.validated_at = datetime.now(UTC) if valid else None
    log.info("pack_validated", pack=pack_id, version=version, valid=valid)
    return PackValidation(
        pack=PackRef(id=pack_id, version=version), state=PackState(row.state), valid=valid, years=reports
    )


async def approve(session: AsyncSession, pack_id: str, version: int, principal: Principal) -> PackSummary:
    """Maker-checker: a validated version, approved by someone other than who proposed it, is in
    force from its effective_from date."""
    row = await _row_for_update(session, pack_id, version)
    if principal.region is not None and (
        row.region is None or not areas.contains(principal.region, row.region)
    ):
        raise OutOfRegion(
            f"a token for {principal.region} cannot approve a pack for {row.region or 'the nation'}"
        )
    if row.proposed_by == principal.subject:
        raise Forbidden(
            f"pack {pack_id} v{version} was proposed by {principal.subject}; another person approves it"
        )
    if row.state != PackState.validated.value:
        raise Conflict(f"pack {pack_id} v{version} is {row.state}; only a validated version is approved")
    row.state = PackState.approved.value
    row.approved_by = principal.subject
    row.approved_at = datetime.now(UTC)
    log.info("pack_approved", pack=pack_id, version=version, by=principal.subject)
    return summary(row)


async def _row_for_update(session: AsyncSession, pack_id: str, version: int) -> PackVersion:
    row = await PackRepository(session).get(pack_id, version, for_update=True)
    if row is None:
        raise NotFound(f"no pack {pack_id} version {version}")
    return row


def check_floors(pack: Pack, national: Pack, year: int) -> ValidationReport:
    """P4–P5: where the pack's own rule gives less than a national floor, report the shortfall."""
    if pack.effective_from > reference_date(year):
        raise Conflict(f"pack {pack.id} applies from {pack.effective_from.isoformat()}, not to {year}")
    params = resolve(pack, national, year)
    shortfalls: list[Shortfall] = []
    uncovered: list[Uncovered] = []
    minimum = params.general_subsidy_minimum
    for group in AgeGroup:
        general = params.general_subsidy[group].value
        if general < minimum.value:
            shortfalls.append(
                Shortfall(
                    rule="general_subsidy_minimum",
                    category=None,
                    age_group=group,
                    required=minimum.value,
                    provided=general,
                    short_by=minimum.value - general,
                    citation=minimum.citation,
                )
            )
    for floor in params.floors:
        for category in sorted(floor.categories, key=lambda c: c.value):
            for group in sorted(floor.age_groups, key=lambda g: g.value):
                contribution = params.individual_contribution[group].value
                required = rules.capped_at_contribution(floor.floor.value, contribution)
                rate = params.subsidy_rates.get(category)
                if category not in params.categories and category in LOCALLY_DEFINED:
                    uncovered.append(
                        Uncovered(
                            category=category,
                            age_group=group,
                            floor=floor.id,
                            note=f"{pack.document} does not subsidise {category.value} "
                            "(N§一 leaves its definition to local government)",
                        )
                    )
                    continue
                if category not in params.categories:
                    provided = ZERO  # dibao is defined nationally (N§一): leaving it out gives it nothing
                elif rate is None and pack.national is not None:
                    provided = required  # the national pack's rule is the floor itself
                elif rate is None:
                    provided = ZERO
                else:
                    provided = rules.capped_at_contribution(
                        rules.rate_of(contribution, rate.value), contribution
                    )
                if provided < required:
                    shortfalls.append(
                        Shortfall(
                            rule=f"national_floor.{floor.id}",
                            category=category,
                            age_group=group,
                            required=required,
                            provided=provided,
                            short_by=required - provided,
                            citation=floor.floor.citation,
                        )
                    )
    return ValidationReport(
        pack=PackRef(id=pack.id, version=pack.version),
        national_pack=PackRef(id=national.id, version=national.version),
        year=year,
        valid=not shortfalls,
        general_subsidy_minimum=minimum.value,
        shortfalls=shortfalls,
        uncovered=uncovered,
    )
