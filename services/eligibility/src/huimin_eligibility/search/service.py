"""Case workers' search, the household view and the duplicate check. Every person shown is a read of
personal data and goes into the read log; roles that see masked numbers get masked ID numbers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from huimin_eligibility import rules
from huimin_eligibility.audit.service import log_reads
from huimin_eligibility.certifications.models import Certification
from huimin_eligibility.certifications.repository import CertificationRepository
from huimin_eligibility.certifications.service import period_of
from huimin_eligibility.common import now
from huimin_eligibility.residents.models import Resident, ResidentVersion
from huimin_eligibility.search.repository import SearchRepository
from huimin_eligibility.search.schemas import (
    DuplicateGroup,
    DuplicateKind,
    DuplicatePage,
    HouseholdMember,
    HouseholdOut,
    ResidentMatch,
    ResidentSearchPage,
)
from huimin_shared import idnumber
from huimin_shared.auth import Principal, Role
from huimin_shared.errors import FieldProblem, NotFound, ValidationFailed
from huimin_shared.idnumber import Sex

# Case workers act on a person by number; everyone else who may search sees it masked (R2).
SEES_FULL_ID_NUMBERS = frozenset({Role.civil_affairs, Role.community_officer})


def sees_full_numbers(principal: Principal) -> bool:
    return principal.has_any(SEES_FULL_ID_NUMBERS)


def _shown(number: str, principal: Principal) -> str:
    return number if sees_full_numbers(principal) else idnumber.mask(number)


def _match(
    resident: Resident,
    version: ResidentVersion,
    periods: Sequence[rules.Period],
    on: date,
    principal: Principal,
) -> ResidentMatch:
    on_date = sorted({p.category for p in periods if p.covers(on)}, key=rules.CATEGORY_PRECEDENCE.index)
    return ResidentMatch(
        id_number=_shown(resident.id_number, principal),
        name=version.name,
        birth_date=resident.birth_date,
        sex=Sex(resident.sex),
        region_code=version.region_code,
        community=version.community,
        household=version.household,
        categories_on_date=on_date,
    )


async def _periods(session: AsyncSession, numbers: Sequence[str]) -> dict[str, list[rules.Period]]:
    records: dict[str, list[Certification]] = await CertificationRepository(session).known_at_many(
        list(numbers), now()
    )
    return {number: [period_of(r) for r in found] for number, found in records.items()}


async def search(
    session: AsyncSession,
    principal: Principal,
    *,
    name: str | None,
    name_prefix: str | None,
    community: str | None,
    household: str | None,
    category: rules.Category | None,
    region: str | None,
    on: date,
    after: int | None,
    limit: int,
) -> ResidentSearchPage:
    if not any((name, name_prefix, community, household, category)):
        reason = "give at least one of name, name_prefix, community, household, category"
        raise ValidationFailed(f"query: {reason}", errors=[FieldProblem(field="query", reason=reason)])
    found = await SearchRepository(session).search(
        principal,
        name=name,
        name_prefix=name_prefix,
        community=community,
        household=household,
        category=category.value if category else None,
        region=region,
        on=on,
        after=after,
        limit=limit,
    )
    periods = await _periods(session, [r.id_number for r, _ in found])
    items = [_match(r, v, periods.get(r.id_number, []), on, principal) for r, v in found]
    await log_reads(session, [r.id_number for r, _ in found], principal, "search")
    return ResidentSearchPage(on=on, items=items, next_after=found[-1][1].id if len(found) == limit else None)


async def household(
    session: AsyncSession, principal: Principal, household_number: str, region: str | None, on: date
) -> HouseholdOut:
    """The members of a household (as known now) and each one's status on ``on``."""
    found = await SearchRepository(session).search(
        principal,
        name=None,
        name_prefix=None,
        community=None,
        household=household_number,
        category=None,
        region=region,
        on=on,
        after=None,
        limit=1000,
    )
    if not found:
        raise NotFound("no household with that number among the residents this token may read")
    periods = await _periods(session, [r.id_number for r, _ in found])
    members = []
    for resident, version in sorted(found, key=lambda rv: (rv[0].birth_date, rv[0].id_number)):
        held = periods.get(resident.id_number, [])
        day = rules.status_on(
            held, version.employee_insurance_since, version.region_code, resident.birth_date, on
        )
        members.append(
            HouseholdMember(
                **_match(resident, version, held, on, principal).model_dump(),
                eligible=day.eligible,
                categories=list(day.categories),
                age_group=day.age_group,
                excluded_reason=day.excluded_reason,
            )
        )
    await log_reads(session, [r.id_number for r, _ in found], principal, "household")
    return HouseholdOut(household=household_number, region=region, on=on, members=members)


async def duplicates(
    session: AsyncSession, principal: Principal, *, region: str | None, after: str | None, limit: int
) -> DuplicatePage:
    position: tuple[str, str] | None = None
    if after is not None:
        kind, _, key = after.partition(":")
        position = (kind, key)
    groups = await SearchRepository(session).duplicates(principal, region=region, after=position, limit=limit)
    today = now().date()
    periods = await _periods(session, [r.id_number for _, _, members in groups for r, _ in members])
    items = [
        DuplicateGroup(
            kind=DuplicateKind(kind),
            key=key,
            members=[_match(r, v, periods.get(r.id_number, []), today, principal) for r, v in members],
        )
        for kind, key, members in groups
    ]
    await log_reads(
        session, [r.id_number for _, _, members in groups for r, _ in members], principal, "duplicates"
    )
    last = groups[-1] if len(groups) == limit else None
    return DuplicatePage(items=items, next_after=f"{last[0]}:{last[1]}" if last else None)
