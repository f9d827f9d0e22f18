"""The premium and subsidy formulas (POLICY.md P1–P6): pure functions of dates, amounts and pack values.

``parameters.resolve`` reads the values of a local pack and the national pack in force on 1 January of a
cover year into ``YearParameters``; ``calculate`` turns one resident's facts into an ``Outcome`` whose
every figure carries the rule, the parameters and the citation that produced it. No I/O, no ORM.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from huimin_policy.ages import age_group as age_group
from huimin_policy.enums import CATEGORY_PRECEDENCE, PAYERS, AgeGroup, Category, Payer, RegionClass
from huimin_policy.packs.model import Shares
from huimin_premium.parameters import Cited, FloorInForce
from huimin_premium.parameters import YearParameters as YearParameters
from huimin_premium.parameters import region_class as region_class
from huimin_premium.parameters import resolve as resolve
from huimin_shared import areas
from huimin_shared.money import ZERO, format_yuan, split, to_yuan
from huimin_shared.problems import Unprocessable  # web-free: rules stay pure (issue 12)

# The age group, the enumerations and the packs are the policy package's (huimin_policy); a cover year's
# parameters are parameters.py's. resolve, YearParameters, region_class and age_group are named here too,
# for the callers that read them as ``rules.…``.


def categories_on(certifications: Iterable[tuple[str, date, date | None]], day: date) -> frozenset[Category]:
    """The categories whose certification (category, valid_from, valid_to or open) covers ``day`` (E2)."""
    known = {c.value for c in Category}
    return frozenset(
        Category(category)
        for category, valid_from, valid_to in certifications
        if category in known and valid_from <= day and (valid_to is None or day <= valid_to)
    )


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
