"""Policy packs as dated data (OpenFisca-style): every value has an effective date and a reference.

A pack is validated by these models when it is read from YAML (``huimin_policy.packs.files``). Premium
stores it on start and pins it by (id, version) in every assessment, so a figure can always be traced to
the clause that produced it (POLICY.md P1–P6); eligibility reads which categories it subsidises (E3/E4).
Pure: no I/O beyond the package's own YAML files.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)

from huimin_policy.enums import AgeGroup, Category, Payer, RegionClass
from huimin_shared import areas
from huimin_shared.money import Money

INT32_MAX = 2_147_483_647  # the largest value of an `integer` column (versions, years)
MAX_SHARE = 1_000_000  # a cost-sharing weight (7 : 3 …); larger weights say nothing more


def _non_negative(value: Decimal) -> Decimal:
    if value < 0:
        raise ValueError(f"an amount of a pack is never negative, not {value}")
    return value


NonNegativeMoney = Annotated[Money, AfterValidator(_non_negative)]
"""A pack amount (contribution, subsidy, floor, central share): yuan, never negative (P1, P4)."""


def _rate(value: Any) -> Decimal:
    if isinstance(value, (bool, float)):
        raise ValueError('rates are decimal strings such as "0.70", not floating-point numbers')
    try:
        rate = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"{value!r} is not a decimal rate") from exc
    if not rate.is_finite():  # NaN / sNaN / Infinity: a comparison would raise, not refuse
        raise ValueError(f"{value!r} is not a finite decimal rate")
    if not Decimal(0) <= rate <= Decimal(1):
        raise ValueError(f"a rate lies between 0 and 1, not {value}")
    return rate


Rate = Annotated[
    Decimal,
    BeforeValidator(_rate),
    PlainSerializer(lambda r: str(r), return_type=str),
    # One schema in and out: a decimal string, as it is written back.
    WithJsonSchema(
        {"type": "string", "examples": ["0.70"], "description": "A rate from 0 to 1 as a decimal string."}
    ),
]

T = TypeVar("T")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _value_name(parameter: Any) -> str:
    """``Parameter[NonNegativeMoney]`` is published as ``MoneyParameter``, not as pydantic's
    ``Parameter_Annotated_Decimal__…`` (a generated client's class names come from these)."""
    for known, name in ((NonNegativeMoney, "Money"), (Rate, "Rate")):
        if parameter == known:
            return name
    type_name = getattr(parameter, "__name__", None)
    if type_name is None:
        raise TypeError(
            f"name {parameter!r} in huimin_policy.packs.model._value_name before using it in a pack"
        )
    return str(type_name)


class Value(_Strict, Generic[T]):
    """One dated value of a parameter with the clause it comes from."""

    value: T
    reference: str = Field(
        min_length=3, description="Document number and clause, e.g. 本政办发〔2009〕130号 B§一(二)1."
    )
    illustrative: bool = Field(
        default=False, description="True when the notices do not give this value and the pack chose one."
    )

    @classmethod
    def model_parametrized_name(cls, params: tuple[Any, ...]) -> str:
        return _value_name(params[0]) + "Value"


class Parameter(_Strict, Generic[T]):
    """A parameter whose value changes on dates (the latest date on or before the day asked wins)."""

    description: str
    values: dict[date, Value[T]] = Field(min_length=1)

    @classmethod
    def model_parametrized_name(cls, params: tuple[Any, ...]) -> str:
        return _value_name(params[0]) + "Parameter"

    def at(self, on: date) -> Value[T] | None:
        in_force = [day for day in self.values if day <= on]
        return self.values[max(in_force)] if in_force else None

    def with_value(self, on: date, value: Value[T]) -> Parameter[T]:
        """A copy whose value from ``on`` is ``value`` (used by simulations; the pack is not changed)."""
        later = {day: v for day, v in self.values.items() if day > on}
        if later:
            raise ValueError("a change can only be the latest value of a parameter")
        return Parameter[T](description=self.description, values={**self.values, on: value})


class Shares(_Strict):
    """Weights in which the non-central part of a subsidy is split between local levels."""

    province: int = Field(default=0, ge=0, le=MAX_SHARE)
    city: int = Field(ge=0, le=MAX_SHARE)
    district_or_county: int = Field(default=0, ge=0, le=MAX_SHARE)

    @model_validator(mode="after")
    def _not_all_zero(self) -> Shares:
        if self.province + self.city + self.district_or_county == 0:
            raise ValueError("at least one level must carry a share")
        return self


class AgeAmounts(_Strict):
    minor: Parameter[NonNegativeMoney]
    adult: Parameter[NonNegativeMoney]
    elderly: Parameter[NonNegativeMoney]

    def of(self, group: AgeGroup) -> Parameter[NonNegativeMoney]:
        parameter: Parameter[NonNegativeMoney] = getattr(self, group.value)
        return parameter


class BaseAmounts(_Strict):
    """P1: premium = general government subsidy + individual contribution, per age group and year."""

    general_subsidy: AgeAmounts
    individual_contribution: AgeAmounts
    supplementary_premium: Parameter[NonNegativeMoney] | None = None


class Remainder(_Strict):
    to: Payer
    reference: str


class CostSharing(_Strict):
    """How the local part of a subsidy is shared (B§三), by the level of the resident's area code."""

    district: Parameter[Shares]
    county: Parameter[Shares]
    remainder: Remainder = Field(description="Which party takes a remainder fen when a split is uneven (P6).")


class HardshipFloor(_Strict):
    """N§二: the minimum subsidy for a group of people in hardship, and the central share of it."""

    id: str
    categories: list[Category] = Field(min_length=1)
    age_groups: list[AgeGroup] = Field(min_length=1)
    floor: Parameter[NonNegativeMoney]
    central_share: dict[RegionClass, Parameter[NonNegativeMoney]]

    @model_validator(mode="after")
    def _every_region_class(self) -> HardshipFloor:
        missing = set(RegionClass) - set(self.central_share)
        if missing:
            raise ValueError(f"floor {self.id}: central_share needs a value for {sorted(missing)}")
        return self


class RegionClasses(_Strict):
    """Eastern, central and western provinces by the first two digits of the area code."""

    reference: str
    eastern: list[str]
    central: list[str]
    western: list[str]

    def class_of(self, area_code: str) -> RegionClass | None:
        prefix = area_code[:2]
        for region_class in RegionClass:
            if prefix in getattr(self, region_class.value):
                return region_class
        return None


class NationalRules(_Strict):
    general_subsidy_minimum: Parameter[NonNegativeMoney]
    floors: list[HardshipFloor]
    region_classes: RegionClasses


class Assumption(_Strict):
    text: str
    reference: str


class Pack(_Strict):
    """A policy pack: the national notice, or a city's notice layered on it."""

    id: str = Field(pattern=r"^[a-z][a-z0-9-]{1,40}$")
    version: int = Field(ge=1, le=INT32_MAX)
    title: str
    document: str = Field(description="Document number, e.g. 本政办发〔2009〕130号.")
    published: date
    effective_from: date = Field(description="The first cover year day the pack applies to.")
    region: str | None = Field(
        default=None, description="Area code the pack governs (a city); none for the national pack."
    )
    categories: list[Category] = Field(min_length=1, description="Categories this pack subsidises (E3/E4).")
    assumptions: list[Assumption] = Field(default_factory=list)
    base_amounts: BaseAmounts
    subsidy_rates: dict[Category, Parameter[Rate]] = Field(default_factory=dict)
    cost_sharing: CostSharing
    national: NationalRules | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Pack:
        if self.region is None and self.national is None:
            raise ValueError("the national pack (no region) needs the `national` section")
        if self.region is not None:
            if not areas.is_area_code(self.region):
                raise ValueError(f"region {self.region!r} is not a six-digit area code")
            if self.national is not None:
                raise ValueError("a local pack leaves the `national` section to the national pack")
        unknown = set(self.subsidy_rates) - set(self.categories)
        if unknown:
            raise ValueError(f"subsidy_rates names categories the pack does not subsidise: {sorted(unknown)}")
        self._remainder_can_take_a_fen()
        return self

    def _remainder_can_take_a_fen(self) -> None:
        """P6: the party named for a remainder fen must carry a local share in some split of the pack.

        Central pays a fixed amount (N§二) and never takes a remainder; a level whose weight is 0 in every
        dated district and county split would never take one either (the fen would silently go elsewhere).
        """
        to = self.cost_sharing.remainder.to
        if to is Payer.central:
            raise ValueError(
                "cost_sharing.remainder.to: central finance pays a fixed share (N§二) and never takes a "
                "remainder fen; name province, city or district_or_county"
            )
        weights = [
            getattr(value.value, to.value)
            for parameter in (self.cost_sharing.district, self.cost_sharing.county)
            for value in parameter.values.values()
        ]
        if not any(weights):
            raise ValueError(
                f"cost_sharing.remainder.to: {to.value} carries no share in any district or county split, "
                "so it could never take a remainder fen"
            )

    @property
    def illustrative(self) -> bool:
        """Whether any value in the pack is illustrative (not from the notices)."""
        return _any_illustrative(self.model_dump(mode="json"))


def _any_illustrative(node: Any) -> bool:
    if isinstance(node, dict):
        return node.get("illustrative") is True or any(_any_illustrative(v) for v in node.values())
    if isinstance(node, list):
        return any(_any_illustrative(v) for v in node)
    return False


def parameters_of(node: Any) -> Iterator[Parameter[Any]]:
    """Every dated parameter in a pack (or part of one), depth first."""
    if isinstance(node, Parameter):
        yield node
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from parameters_of(getattr(node, name))
    elif isinstance(node, dict):
        for item in node.values():
            yield from parameters_of(item)
    elif isinstance(node, list | tuple):
        for item in node:
            yield from parameters_of(item)


def cover_years(pack: Pack) -> range:
    """The cover years a pack states values for: from the year it takes effect to the last year any of
    its values is dated in. A value stays in force within that span, but is never carried into a year the
    pack says nothing of: a city publishes a new pack version restating its figures for each new year."""
    last = max(day.year for parameter in parameters_of(pack) for day in parameter.values)
    return range(pack.effective_from.year, max(last, pack.effective_from.year) + 1)
