"""The premium and subsidy formulas (POLICY.md P1–P6): pure functions of dates, amounts and pack values.

``resolve`` reads the values of a local pack and the national pack in force on 1 January of a cover
year into ``YearParameters``; ``calculate`` turns one resident's facts into an ``Outcome`` whose every
figure carries the rule, the parameters and the citation that produced it. No I/O, no ORM.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel

from huimin_premium.packs.schemas import (
    CATEGORY_PRECEDENCE,
    PAYERS,
    AgeGroup,
    Category,
    Pack,
    PackRef,
    Parameter,
    Payer,
    RegionClass,
    Shares,
    Value,
)
from huimin_shared import areas
from huimin_shared.money import ZERO, format_yuan, split, to_yuan
from huimin_shared.problems import FieldProblem, Unprocessable  # web-free: rules stay pure (issue 12)

T = TypeVar("T")

MINOR_BELOW = 18  # 学生和儿童: under 18 on 1 January (POLICY.md, what the notices leave open)
ELDERLY_FROM = 60  # 60周岁以上 (N§一, N§二)


@dataclass(frozen=True, slots=True)
class Cited(Generic[T]):
    """A value and where it comes from: the rule that produced it, its inputs and the clause."""

    value: T
    rule: str
    citation: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    illustrative: bool = False


# --- which cover years a pack speaks for -----------------------------------------------------


class YearNotCovered(Unprocessable):
    """No pack states values for the cover year: pricing it on an older year's figures would be a guess."""

    slug: ClassVar[str] = "year-not-covered"
    title: ClassVar[str] = "No policy pack states values for that cover year"


def _parameters(node: Any) -> Iterable[Parameter[Any]]:
    if isinstance(node, Parameter):
        yield node
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _parameters(getattr(node, name))
    elif isinstance(node, dict):
        for item in node.values():
            yield from _parameters(item)
    elif isinstance(node, list | tuple):
        for item in node:
            yield from _parameters(item)


def cover_years(pack: Pack) -> range:
    """The cover years a pack states values for: from the year it takes effect to the last year any of
    its values is dated in. A value stays in force within that span, but is never carried into a year the
    pack says nothing of: a city publishes a new pack version restating its figures for each new year."""
    last = max(day.year for parameter in _parameters(pack) for day in parameter.values)
    return range(pack.effective_from.year, max(last, pack.effective_from.year) + 1)


def require_cover_year(pack: Pack, year: int) -> None:
    covered = cover_years(pack)
    if year not in covered:
        span = f"{covered.start}" if len(covered) == 1 else f"{covered.start}–{covered[-1]}"
        reason = (
            f"pack {pack.id} v{pack.version} ({pack.document}) states values for cover year {span}, "
            f"not {year}; publish a pack version with {year}'s values (POST /v1/packs/{pack.id}/versions)"
        )
        raise YearNotCovered(reason, errors=[FieldProblem(field="year", reason=reason)])


# --- dates and groups -------------------------------------------------------------------------


def reference_date(year: int) -> date:
    """The day a cover year's parameters and age groups are read: 1 January (P1 default)."""
    return date(year, 1, 1)


def age_on(birth_date: date, day: date) -> int:
    """Completed years of age on ``day`` (a birthday counts on the day itself)."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def age_group(birth_date: date, year: int) -> AgeGroup:
    """P1: age on 1 January of the cover year; minor under 18, elderly 60 and over (N§二)."""
    age = age_on(birth_date, reference_date(year))
    if age < MINOR_BELOW:
        return AgeGroup.minor
    if age >= ELDERLY_FROM:
        return AgeGroup.elderly
    return AgeGroup.adult


def categories_on(certifications: Iterable[tuple[str, date, date | None]], day: date) -> frozenset[Category]:
    """The categories whose certification (category, valid_from, valid_to or open) covers ``day`` (E2)."""
    known = {c.value for c in Category}
    return frozenset(
        Category(category)
        for category, valid_from, valid_to in certifications
        if category in known and valid_from <= day and (valid_to is None or day <= valid_to)
    )


# --- parameters in force -----------------------------------------------------------------------


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


# --- money rules -------------------------------------------------------------------------------


def rate_of(individual_contribution: Decimal, rate: Decimal) -> Decimal:
    """A share of the individual contribution, rounded half up to the fen (P6)."""
    return to_yuan(individual_contribution * rate)


def capped_at_contribution(amount: Decimal, individual_contribution: Decimal) -> Decimal:
    """P4: a subsidy never exceeds the family's share it pays for."""
    return min(amount, individual_contribution)


@dataclass(frozen=True, slots=True)
class Candidate:
    """What one category would give, before the most favourable is chosen."""

    category: Category
    amount: Decimal
    rule: str
    citation: str
    parameters: Mapping[str, Any]


def candidates_for(
    categories: Iterable[Category], group: AgeGroup, params: YearParameters
) -> list[Candidate]:
    """Every rule that applies to the person: the pack's rate (B§一(二)) and the national floor (N§二)."""
    contribution = params.individual_contribution[group].value
    found: list[Candidate] = []
    for category in sorted(set(categories) & params.categories, key=CATEGORY_PRECEDENCE.index):
        rate = params.subsidy_rates.get(category)
        if rate is not None:
            raw = rate_of(contribution, rate.value)
            found.append(
                Candidate(
                    category=category,
                    amount=capped_at_contribution(raw, contribution),
                    rule=f"subsidy_rate.{category.value}",
                    citation=rate.citation,
                    parameters={
                        "rate": str(rate.value),
                        "individual_contribution": format_yuan(contribution),
                    },
                )
            )
        for floor in params.floors:
            if category in floor.categories and group in floor.age_groups:
                found.append(
                    Candidate(
                        category=category,
                        amount=capped_at_contribution(floor.floor.value, contribution),
                        rule=f"national_floor.{floor.id}",
                        citation=floor.floor.citation,
                        parameters={
                            "floor": format_yuan(floor.floor.value),
                            "individual_contribution": format_yuan(contribution),
                        },
                    )
                )
    return found


def most_favourable(candidates: Iterable[Candidate]) -> Candidate | None:
    """A person in two categories gets the most favourable rule, once; ties go to the earlier category."""
    best: Candidate | None = None
    for candidate in candidates:
        if best is None or candidate.amount > best.amount:
            best = candidate
    return best


def floor_for(category: Category, group: AgeGroup, params: YearParameters) -> FloorInForce | None:
    for floor in params.floors:
        if category in floor.categories and group in floor.age_groups:
            return floor
    return None


def split_by_payer(
    subsidy: Decimal, central: Decimal, shares: Shares, remainder_to: Payer
) -> dict[Payer, Decimal]:
    """P3/P6: central pays its fixed share; the rest is split by the local shares, to the fen.

    The local level the pack names takes a remainder fen. A pack whose ``remainder.to`` carries no share
    in any of its splits (or names central, which pays a fixed amount) is refused when the pack is read;
    a named level that carries no share in *this* split (e.g. the province in a split where only city and
    district pay) hands the fen to the first local level that does, in the order province, city,
    district_or_county — a fen never goes to a level that pays nothing of the split.
    """
    local = subsidy - central
    weights = [shares.province, shares.city, shares.district_or_county]
    local_payers = [Payer.province, Payer.city, Payer.district_or_county]
    index = local_payers.index(remainder_to) if remainder_to in local_payers else 1
    if weights[index] == 0:
        index = next(i for i, weight in enumerate(weights) if weight > 0)
    parts = split(local, weights, remainder_to=index)
    return {Payer.central: central, **dict(zip(local_payers, parts, strict=True))}


# --- one resident ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    """One resident's premium for a cover year; every figure cited."""

    year: int
    age_group: AgeGroup
    region_code: str
    region_class: RegionClass
    categories: frozenset[Category]
    category: Category | None
    general_subsidy: Cited[Decimal]
    individual_contribution: Cited[Decimal]
    financing_standard: Cited[Decimal]
    assistance_subsidy: Cited[Decimal]
    resident_pays: Cited[Decimal]
    by_payer: Mapping[Payer, Cited[Decimal]]
    supplementary_premium: Cited[Decimal] | None
    total_resident_pays: Cited[Decimal]
    considered: tuple[Candidate, ...]

    @property
    def citation(self) -> str:
        return self.assistance_subsidy.citation


def calculate(
    birth_date: date,
    region_code: str,
    categories: Iterable[Category],
    params: YearParameters,
    *,
    supplementary: bool = False,
) -> Outcome:
    """P1–P6 for one resident and cover year under ``params``."""
    group = age_group(birth_date, params.year)
    held = frozenset(categories)
    klass = region_class(region_code, params.region_prefixes)
    general = params.general_subsidy[group]
    contribution = params.individual_contribution[group]
    financing = Cited(
        value=general.value + contribution.value,
        rule="financing_standard = general_subsidy + individual_contribution",
        citation="docs/policy.md P1 (国发〔2007〕20号 financing: government subsidy plus family contribution)",
        parameters={
            "general_subsidy": format_yuan(general.value),
            "individual_contribution": format_yuan(contribution.value),
            "age_group": group.value,
        },
        illustrative=general.illustrative or contribution.illustrative,
    )
    considered = tuple(candidates_for(held, group, params))
    best = most_favourable(considered)
    if best is None:
        reason = f"no category subsidised by {params.document} ({', '.join(sorted(c.value for c in params.categories))})"
        subsidy = Cited(
            value=ZERO,
            rule="no_subsidy",
            citation=f"{params.document}: {reason}",
            parameters={"categories": sorted(c.value for c in held)},
        )
    else:
        subsidy = Cited(
            value=best.amount,
            rule=f"most_favourable({best.rule})" if len(considered) > 1 else best.rule,
            citation=best.citation,
            parameters={**best.parameters, "category": best.category.value, "considered": len(considered)},
        )
    resident_pays = Cited(
        value=contribution.value - subsidy.value,
        rule="resident_pays = individual_contribution - assistance_subsidy",
        citation=subsidy.citation,
        parameters={
            "individual_contribution": format_yuan(contribution.value),
            "assistance_subsidy": format_yuan(subsidy.value),
        },
    )
    by_payer = _payers(subsidy.value, held, group, region_code, klass, params)
    supplementary_premium = None
    if supplementary:
        if params.supplementary_premium is None:
            raise Unprocessable(f"{params.document} has no supplementary insurance premium for {params.year}")
        taken = params.supplementary_premium
        supplementary_premium = Cited(
            value=taken.value,
            rule="supplementary_premium (never subsidised)",
            citation=f"{taken.citation}; 本政办发〔2009〕130号 B§一(二)2: 不予资助其参加城镇居民大额医疗补充保险",
            parameters=dict(taken.parameters),
            illustrative=taken.illustrative,
        )
    extra = supplementary_premium.value if supplementary_premium else ZERO
    total = Cited(
        value=resident_pays.value + extra,
        rule="total_resident_pays = resident_pays + supplementary_premium",
        citation="docs/policy.md P2: the supplementary premium is never subsidised",
        parameters={
            "resident_pays": format_yuan(resident_pays.value),
            "supplementary_premium": format_yuan(extra),
        },
    )
    return Outcome(
        year=params.year,
        age_group=group,
        region_code=region_code,
        region_class=klass,
        categories=held,
        category=best.category if best else None,
        general_subsidy=general,
        individual_contribution=contribution,
        financing_standard=financing,
        assistance_subsidy=subsidy,
        resident_pays=resident_pays,
        by_payer=by_payer,
        supplementary_premium=supplementary_premium,
        total_resident_pays=total,
        considered=considered,
    )


def central_floor(
    held: Iterable[Category], group: AgeGroup, klass: RegionClass, params: YearParameters
) -> tuple[FloorInForce, Cited[Decimal]] | None:
    """N§二: the floor whose central share is largest among every subsidised category the person holds
    that has a floor for the age group — not only the category whose rule won (a dibao adult who is also
    marginal keeps the central 30.00 even when the local marginal rate gives more)."""
    best: tuple[FloorInForce, Cited[Decimal]] | None = None
    for category in sorted(set(held) & params.categories, key=CATEGORY_PRECEDENCE.index):
        floor = floor_for(category, group, params)
        if floor is None:
            continue
        share = floor.central_share[klass]
        if best is None or share.value > best[1].value:
            best = (floor, share)
    return best


def _payers(
    subsidy: Decimal,
    held: frozenset[Category],
    group: AgeGroup,
    region_code: str,
    klass: RegionClass,
    params: YearParameters,
) -> dict[Payer, Cited[Decimal]]:
    found = central_floor(held, group, klass, params) if subsidy > 0 else None
    if found is not None:
        floor, share = found
        central = Cited(
            value=min(share.value, subsidy),
            rule=f"central_share.{floor.id}.{klass.value}",
            citation=share.citation,
            parameters={
                "central_share": format_yuan(share.value),
                "region_class": klass.value,
                "cap": "subsidy",
                "categories": sorted(c.value for c in held),
            },
        )
    else:
        central = Cited(
            value=ZERO,
            rule="no_central_share",
            citation="民发〔2007〕156号 N§二 (central finance helps only the categories of the national floors)",
            parameters={"categories": sorted(c.value for c in held)},
        )
    county = areas.level_of(region_code) is areas.AreaLevel.county
    shares = params.county_shares if county else params.district_shares
    parts = split_by_payer(subsidy, central.value, shares.value, params.remainder_to.value)
    level = "county" if county else "district"
    result: dict[Payer, Cited[Decimal]] = {Payer.central: central}
    for payer in PAYERS[1:]:
        result[payer] = Cited(
            value=parts[payer],
            rule=f"cost_sharing.{level}",
            citation=f"{shares.citation}; remainder fen to {params.remainder_to.value} ({params.remainder_to.citation})",
            parameters={
                "local_part": format_yuan(subsidy - central.value),
                "shares": shares.value.model_dump(),
                "remainder_to": params.remainder_to.value.value,
            },
        )
    return result


def payer_amounts(outcome: Outcome) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """The by-payer figures in the fixed order central, province, city, district_or_county."""
    return tuple(outcome.by_payer[payer].value for payer in PAYERS)  # type: ignore[return-value]
