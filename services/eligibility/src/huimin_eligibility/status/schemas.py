"""The status answer (contract with premium and settlement) and the bulk look-up."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from huimin_eligibility.common import Instant, PolicyDate
from huimin_eligibility.rules import ExclusionReason
from huimin_policy import codes
from huimin_policy.enums import AgeGroup, Category
from huimin_shared.idnumber import ResidentIdNumber, Sex


class StatusOut(BaseModel):
    id_number: str
    on: date = Field(description="The policy date asked about.")
    as_of: datetime = Field(description="The register as known at this time.")
    eligible: bool = Field(description="Subsidised on `on` (E3 applied; E5 keeps the year after an exit).")
    categories: list[Category] = Field(
        description="The subsidised categories the cover rests on: certified on some day from 1 January to `on` "
        "(E5 keeps an exited one for the year). Empty when not eligible."
    )
    categories_on_date: list[Category] = Field(description="Every category certified on `on` itself.")
    age_group: AgeGroup = Field(
        description="Age on 1 January of the year of `on`: minor < 18, elderly >= 60."
    )
    birth_date: date
    sex: Sex
    region_code: str
    employee_insurance: bool = Field(description="Covered by employee insurance on `on` (E3, B§一(一)).")
    excluded_reason: ExclusionReason | None = Field(
        description="null when eligible; else not_certified, employee_insurance or category_outside_scope."
    )
    insutype: str = Field(description=codes.INSUTYPE_DESCRIPTION)
    psn_type: str = Field(description=codes.PSN_TYPE_DESCRIPTION)
    certificate: str = Field(
        description="JWS compact (EdDSA) over these fields; keys at /.well-known/jwks.json."
    )


class BulkStatusRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "on": "2010-03-01",
                    "id_numbers": ["210502198001011234", "210503196503122046", "210521195207180039"],
                }
            ]
        },
    )

    on: PolicyDate
    as_of: Instant | None = Field(default=None, description="Transaction time; default now.")
    id_numbers: list[ResidentIdNumber] = Field(
        min_length=1, max_length=1000, description="Up to 1,000 ID numbers."
    )


class BulkStatusOut(BaseModel):
    on: date
    as_of: datetime
    items: list[StatusOut] = Field(description="One status per known resident, in the order asked.")
    not_found: list[str] = Field(
        description="ID numbers unknown as of `as_of` (or outside the token's region)."
    )


class Jwk(BaseModel):
    kty: str
    crv: str
    x: str
    kid: str
    alg: str
    use: str


class Jwks(BaseModel):
    keys: list[Jwk]
