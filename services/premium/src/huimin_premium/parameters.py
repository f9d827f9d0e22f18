"""The parameters of a cover year (P1–P6): the values of a local pack and the national pack in force on
1 January, each carrying its citation. ``resolve`` reads them into ``YearParameters`` for ``rules.calculate``.

The packs, their dated values and ``cover_years`` are the policy package's (huimin_policy.packs); this
module adds what premium's API needs on top: a figure's working (``Cited``) and the refusal, as a problem
naming the field, of a year no pack speaks for. No I/O, no ORM.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar, Generic, TypeVar

from huimin_policy.ages import reference_date
from huimin_policy.enums import AgeGroup, Category, Payer, RegionClass
from huimin_policy.packs.model import Pack, Parameter, Shares, Value, cover_years
from huimin_premium.packs.schemas import PackRef
from huimin_shared.problems import FieldProblem, Unprocessable  # web-free: rules stay pure (issue 12)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Cited(Generic[T]):
    """A value and where it comes from: the rule that produced it, its inputs and the clause."""

    value: T
    rule: str
    citation: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    illustrative: bool = False


class YearNotCovered(Unprocessable):
    """No pack states values for the cover year: pricing it on an older year's figures would be a guess."""

    slug: ClassVar[str] = "year-not-covered"
    title: ClassVar[str] = "No policy pack states values for that cover year"


def require_cover_year(pack: Pack, year: int) -> None:
    covered = cover_years(pack)
    if year not in covered:
        span = f"{covered.start}" if len(covered) == 1 else f"{covered.start}–{covered[-1]}"
        reason = (
            f"pack {pack.id} v{pack.version} ({pack.document}) states values for cover year {span}, "
            f"not {year}; publish a pack version with {year}'s values (POST /v1/packs/{pack.id}/versions)"
        )
        raise YearNotCovered(reason, errors=[FieldProblem(field="year", reason=reason)])


@dataclass(frozen=True, slots=True)
class FloorInForce:
    """A national floor (N§二) as in force for the year."""

    id: str
    categories: frozenset[Category]
    age_groups: frozenset[AgeGroup]
    floor: Cited[Decimal]
    central_share: Mapping[RegionClass, Cited[Decimal]]


@dataclass(frozen=True, slots=True)
class YearParameters:
    """Everything ``calculate`` needs for one cover year under one pack (plus the national pack)."""

    year: int
    pack: PackRef
    national_pack: PackRef
    document: str
    categories: frozenset[Category]
    general_subsidy: Mapping[AgeGroup, Cited[Decimal]]
    individual_contribution: Mapping[AgeGroup, Cited[Decimal]]
    supplementary_premium: Cited[Decimal] | None
    subsidy_rates: Mapping[Category, Cited[Decimal]]
    floors: tuple[FloorInForce, ...]
    general_subsidy_minimum: Cited[Decimal]
    district_shares: Cited[Shares]
    county_shares: Cited[Shares]
    remainder_to: Cited[Payer]
    region_prefixes: Mapping[str, RegionClass]
    region_classes_reference: str


def _cite(parameter: Parameter[T], on: date, name: str, pack: Pack) -> Cited[T]:
    value: Value[T] | None = parameter.at(on)
    if value is None:
        raise Unprocessable(
            f"pack {pack.id} v{pack.version} has no value for {name} on {on.isoformat()}"
            f" (its values start {min(parameter.values).isoformat()})"
        )
    return Cited(
        value=value.value,
        rule=name,
        citation=value.reference,
        parameters={"pack": f"{pack.id} v{pack.version}", "in_force_from": _in_force_from(parameter, on)},
        illustrative=value.illustrative,
    )


def _in_force_from(parameter: Parameter[Any], on: date) -> str:
    return max(day for day in parameter.values if day <= on).isoformat()


def resolve(pack: Pack, national: Pack, year: int) -> YearParameters:
    """Read the values in force on 1 January of ``year`` (OpenFisca-style dated parameters)."""
    if national.national is None:
        raise ValueError(f"pack {national.id} is not a national pack")
    on = reference_date(year)
    if pack.effective_from > on:
        raise Unprocessable(
            f"pack {pack.id} v{pack.version} applies from {pack.effective_from.isoformat()}, not to cover year {year}"
        )
    require_cover_year(pack, year)
    require_cover_year(national, year)
    amounts = pack.base_amounts
    rules = national.national
    floors = tuple(
        FloorInForce(
            id=floor.id,
            categories=frozenset(floor.categories),
            age_groups=frozenset(floor.age_groups),
            floor=_cite(floor.floor, on, f"national_floor.{floor.id}", national),
            central_share={
                region_class: _cite(parameter, on, f"central_share.{floor.id}.{region_class.value}", national)
                for region_class, parameter in floor.central_share.items()
            },
        )
        for floor in rules.floors
    )
    prefixes: dict[str, RegionClass] = {}
    for region_class in RegionClass:
        for prefix in getattr(rules.region_classes, region_class.value):
            prefixes[prefix] = region_class
    return YearParameters(
        year=year,
        pack=PackRef(id=pack.id, version=pack.version),
        national_pack=PackRef(id=national.id, version=national.version),
        document=pack.document,
        categories=frozenset(pack.categories),
        general_subsidy={
            group: _cite(amounts.general_subsidy.of(group), on, f"general_subsidy.{group.value}", pack)
            for group in AgeGroup
        },
        individual_contribution={
            group: _cite(
                amounts.individual_contribution.of(group), on, f"individual_contribution.{group.value}", pack
            )
            for group in AgeGroup
        },
        supplementary_premium=(
            _cite(amounts.supplementary_premium, on, "supplementary_premium", pack)
            if amounts.supplementary_premium is not None and amounts.supplementary_premium.at(on) is not None
            else None
        ),
        subsidy_rates={
            category: _cite(parameter, on, f"subsidy_rate.{category.value}", pack)
            for category, parameter in pack.subsidy_rates.items()
            if parameter.at(on) is not None
        },
        floors=floors,
        general_subsidy_minimum=_cite(rules.general_subsidy_minimum, on, "general_subsidy_minimum", national),
        district_shares=_cite(pack.cost_sharing.district, on, "cost_sharing.district", pack),
        county_shares=_cite(pack.cost_sharing.county, on, "cost_sharing.county", pack),
        remainder_to=Cited(
            value=pack.cost_sharing.remainder.to,
            rule="cost_sharing.remainder",
            citation=pack.cost_sharing.remainder.reference,
        ),
        region_prefixes=prefixes,
        region_classes_reference=rules.region_classes.reference,
    )


def region_class(region_code: str, prefixes: Mapping[str, RegionClass]) -> RegionClass:
    """Eastern, central or western province by the first two digits of the area code (N§二)."""
    found = prefixes.get(region_code[:2])
    if found is None:
        raise Unprocessable(f"area code {region_code} is in no eastern, central or western province list")
    return found
