"""Every query of search, households and the duplicate check. Rows are limited by ``readable`` (the one
place a token's region limits residents, residents/repository.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import and_, exists, func, literal, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_eligibility.certifications.models import Certification
from huimin_eligibility.residents.models import Resident, ResidentVersion
from huimin_eligibility.residents.repository import in_region, readable
from huimin_shared.auth import Principal


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _current() -> Any:
    return (
        select(Resident, ResidentVersion)
        .join(ResidentVersion, ResidentVersion.id_number == Resident.id_number)
        .where(ResidentVersion.superseded_at.is_(None))
    )


class SearchRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def search(
        self,
        principal: Principal,
        *,
        name: str | None,
        name_prefix: str | None,
        community: str | None,
        household: str | None,
        category: str | None,
        region: str | None,
        on: date,
        after: int | None,
        limit: int,
    ) -> Sequence[tuple[Resident, ResidentVersion]]:
        """Current records (as known now) matching every criterion given, keyset-paged by version id."""
        statement = readable(_current(), principal)
        if name is not None:
            statement = statement.where(ResidentVersion.name == name)
        if name_prefix is not None:
            statement = statement.where(
                ResidentVersion.name.like(_escape_like(name_prefix) + "%", escape="\\")
            )
        if community is not None:
            statement = statement.where(ResidentVersion.community == community)
        if household is not None:
            statement = statement.where(ResidentVersion.household == household)
        if region is not None:
            statement = statement.where(in_region(region))
        if category is not None:
            statement = statement.where(
                exists().where(
                    Certification.id_number == ResidentVersion.id_number,
                    Certification.superseded_at.is_(None),
                    Certification.category == category,
                    Certification.valid_from <= on,
                    or_(Certification.valid_to.is_(None), Certification.valid_to >= on),
                )
            )
        if after is not None:
            statement = statement.where(ResidentVersion.id > after)
        statement = statement.order_by(ResidentVersion.id).limit(limit)
        return [(row[0], row[1]) for row in await self.session.execute(statement)]

    async def duplicates(
        self, principal: Principal, *, region: str | None, after: tuple[str, str] | None, limit: int
    ) -> Sequence[tuple[str, str, list[tuple[Resident, ResidentVersion]]]]:
        """Groups of readable current records sharing (name, birth date) or the 15-digit form of the number,
        ordered by (kind, key); ``after`` is the last (kind, key) of the previous page."""
        base = readable(
            select(
                ResidentVersion.id_number.label("id_number"),
                ResidentVersion.name.label("name"),
                Resident.birth_date.label("birth_date"),
            )
            .join(Resident, Resident.id_number == ResidentVersion.id_number)
            .where(ResidentVersion.superseded_at.is_(None)),
            principal,
        )
        if region is not None:
            base = base.where(in_region(region))
        people = base.cte("people")
        by_name = (
            select(
                literal("same_name_and_birth_date").label("kind"),
                (people.c.name + " " + func.to_char(people.c.birth_date, "YYYY-MM-DD")).label("key"),
                func.array_agg(people.c.id_number).label("numbers"),
            )
            .group_by(people.c.name, people.c.birth_date)
            .having(func.count() > 1)
        )
        # The legacy 15-digit form: area code, YYMMDD, sequence (characters 1-6, 9-14, 15-17 of 18).
        fifteen = func.concat(func.substr(people.c.id_number, 1, 6), func.substr(people.c.id_number, 9, 9))
        by_form = (
            select(
                literal("same_15_digit_form").label("kind"),
                fifteen.label("key"),
                func.array_agg(people.c.id_number).label("numbers"),
            )
            .group_by(fifteen)
            .having(func.count() > 1)
        )
        groups = by_name.union_all(by_form).subquery("groups")
        statement = select(groups.c.kind, groups.c.key, groups.c.numbers).order_by(
            groups.c.kind, groups.c.key
        )
        if after is not None:
            statement = statement.where(tuple_(groups.c.kind, groups.c.key) > tuple_(*after))
        found = (await self.session.execute(statement.limit(limit))).all()
        numbers = [n for row in found for n in row.numbers]
        records = {r.id_number: (r, v) for r, v in await self._current_of(numbers)}
        return [
            (row.kind, row.key, [records[n] for n in sorted(row.numbers) if n in records]) for row in found
        ]

    async def _current_of(self, numbers: Sequence[str]) -> Sequence[tuple[Resident, ResidentVersion]]:
        if not numbers:
            return []
        statement = _current().where(and_(Resident.id_number.in_(list(numbers))))
        return [(row[0], row[1]) for row in await self.session.execute(statement)]
