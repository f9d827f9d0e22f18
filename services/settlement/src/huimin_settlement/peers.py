"""Typed clients of the peers this service reads: premium (assessments) and eligibility (head counts)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from huimin_policy.enums import NO_CATEGORY
from huimin_settlement.batches.rules import PAYERS as PAYERS
from huimin_shared.errors import DependencyUnavailable
from huimin_shared.http import PeerClient
from huimin_shared.money import MoneyError, from_fen, to_fen


@dataclass(frozen=True, slots=True)
class AssessmentVersion:
    id: str
    version: int
    latest_version: int
    region: str
    year: int
    kind: str
    status: str
    line_count: int
    total: Decimal
    by_payer: dict[str, Decimal]


@dataclass(frozen=True, slots=True)
class AssessmentLine:
    id_number: str
    region_code: str
    category: str
    age_group: str
    line_kind: str
    adjusts_version: int | None
    subsidy_fen: int
    by_payer_fen: tuple[int, int, int, int]  # central, province, city, district_or_county
    citation: str

    @property
    def assistance_subsidy(self) -> Decimal:
        return from_fen(self.subsidy_fen)

    @property
    def by_payer(self) -> tuple[Decimal, ...]:
        return tuple(from_fen(fen) for fen in self.by_payer_fen)


@dataclass(frozen=True, slots=True)
class AssessmentGroup:
    region_code: str
    category: str
    age_group: str
    line_kind: str
    count: int
    subsidy_fen: int
    by_payer_fen: tuple[int, int, int, int]


def _group(item: dict[str, Any]) -> AssessmentGroup:
    payers = item["by_payer"]
    group = AssessmentGroup(
        region_code=str(item["region_code"]),
        category=str(item["category"] or NO_CATEGORY),
        age_group=str(item["age_group"]),
        line_kind=str(item["line_kind"]),
        count=int(item["count"]),
        subsidy_fen=to_fen(item["assistance_subsidy"]),
        by_payer_fen=(
            to_fen(payers["central"]),
            to_fen(payers["province"]),
            to_fen(payers["city"]),
            to_fen(payers["district_or_county"]),
        ),
    )
    if sum(group.by_payer_fen) != group.subsidy_fen:
        raise ValueError(f"group {group.region_code}/{group.category}: by_payer does not add up")
    return group


class MalformedPeerAnswer(DependencyUnavailable):
    slug = "dependency-malformed"
    title = "A service this one depends on answered something it cannot use"


def _amount(value: Any, where: str) -> Decimal:
    """An amount sent as a decimal string with at most two decimals, read exactly."""
    try:
        return from_fen(to_fen(value))
    except MoneyError as exc:
        raise ValueError(f"{where}: {exc}") from exc


def parse_line(raw: bytes | str) -> AssessmentLine:
    """One NDJSON line of an assessment, read exactly in fen (no pydantic per resident)."""
    data = json.loads(raw)
    payers = data["by_payer"]
    try:
        subsidy_fen = to_fen(data["assistance_subsidy"])
        by_payer_fen = (
            to_fen(payers["central"]),
            to_fen(payers["province"]),
            to_fen(payers["city"]),
            to_fen(payers["district_or_county"]),
        )
    except MoneyError as exc:  # name the field only on this rare path, not per amount on the bulk path
        raise ValueError(f"{_bad_amount(data)}: {exc}") from exc
    line = AssessmentLine(
        id_number=str(data["id_number"]),
        region_code=str(data["region_code"]),
        category=str(data["category"] or NO_CATEGORY),
        age_group=str(data["age_group"]),
        line_kind=str(data.get("line_kind") or "regular"),
        adjusts_version=data.get("adjusts_version"),
        subsidy_fen=subsidy_fen,
        by_payer_fen=by_payer_fen,
        citation=str(data.get("citation") or ""),
    )
    if sum(line.by_payer_fen) != line.subsidy_fen:
        raise ValueError("by_payer does not add up to assistance_subsidy")
    return line


def _bad_amount(data: dict[str, Any]) -> str:
    """The first amount of a line that ``to_fen`` refuses, as its field path."""
    fields = {"assistance_subsidy": data["assistance_subsidy"]}
    fields.update({f"by_payer.{p}": data["by_payer"][p] for p in PAYERS})
    for where, value in fields.items():
        try:
            to_fen(value)
        except MoneyError:
            return where
    return "an amount"


class PremiumClient(PeerClient):
    """Reads premium assessments, pinned by id and version (S3)."""

    service = "premium"

    async def assessment_version(self, assessment_id: str, version: int) -> AssessmentVersion:
        header = await self.get_json(f"/v1/assessments/{assessment_id}")
        body = await self.get_json(f"/v1/assessments/{assessment_id}/versions/{version}")
        try:
            totals = body["totals"]
            return AssessmentVersion(
                id=str(body.get("id", assessment_id)),
                version=int(body["version"]),
                latest_version=int(header["latest_version"]),
                region=str(body["region"]),
                year=int(body["year"]),
                kind=str(body["kind"]),
                status=str(body.get("status", "complete")),
                line_count=int(body["line_count"]),
                total=_amount(totals["assistance_subsidy"], "totals.assistance_subsidy"),
                by_payer={p: _amount(totals["by_payer"][p], f"totals.by_payer.{p}") for p in PAYERS},
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedPeerAnswer(
                "premium", f"assessment {assessment_id} v{version} is malformed: {exc}"
            ) from exc

    async def latest_version(self, assessment_id: str) -> int:
        header = await self.get_json(f"/v1/assessments/{assessment_id}")
        return int(header["latest_version"])

    async def lines(
        self,
        assessment_id: str,
        version: int,
        categories: Sequence[str] | None = None,
        line_kind: str | None = None,
    ) -> AsyncIterator[AssessmentLine]:
        """Every line of the version (of ``categories`` and ``line_kind`` only, when given), streamed as
        NDJSON: never the whole assessment in memory. A line without a category is ``none`` (NO_CATEGORY) here as in premium's filter."""
        number = 0
        async for raw in self.stream_ndjson(_lines_path(assessment_id, version, categories, line_kind)):
            number += 1
            yield self._parse(raw, number, assessment_id, version)

    def lines_ndjson(
        self,
        assessment_id: str,
        version: int,
        categories: Sequence[str] | None = None,
        line_kind: str | None = None,
    ) -> AsyncIterator[bytes]:
        """The same lines as ``lines``, as the NDJSON bytes premium sends, unparsed (for a COPY)."""
        return self.stream_bytes(_lines_path(assessment_id, version, categories, line_kind))

    async def groups(self, assessment_id: str, version: int) -> list[AssessmentGroup]:
        """The version's lines summed per region, category, age group and line kind (premium's GROUP BY)."""
        body = await self.get_json(f"/v1/assessments/{assessment_id}/versions/{version}/groups")
        try:
            return [_group(item) for item in body["items"]]
        except (KeyError, TypeError, ValueError, MoneyError) as exc:
            raise MalformedPeerAnswer(
                "premium", f"groups of assessment {assessment_id} v{version} are malformed: {exc}"
            ) from exc

    @staticmethod
    def _parse(raw: bytes, number: int, assessment_id: str, version: int) -> AssessmentLine:
        try:
            return parse_line(raw)
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedPeerAnswer(
                "premium", f"line {number} of assessment {assessment_id} v{version} is malformed: {exc}"
            ) from exc


def _lines_path(
    assessment_id: str, version: int, categories: Sequence[str] | None, line_kind: str | None
) -> str:
    """Premium's lines route, of ``categories`` (NO_CATEGORY for lines without one, as premium spells it)
    and ``line_kind`` when given."""
    query: list[tuple[str, str]] = [("category", c) for c in sorted(categories or ())]
    if line_kind is not None:
        query.append(("line_kind", line_kind))
    path = f"/v1/assessments/{assessment_id}/versions/{version}/lines"
    return path + "?" + urlencode(query) if query else path


class EligibilityClient(PeerClient):
    """Reads head counts of eligible people (E7: the funding base is the count on 2009-10-31)."""

    service = "eligibility"

    async def head_counts(self, region: str, on: date, cover_year: int) -> list[tuple[str, str, str, int]]:
        """People certified on ``on`` (B§三's base date), in their age group of ``cover_year``."""
        params = {"region": region, "on": on.isoformat(), "cover_year": str(cover_year)}
        body = await self.get_json("/v1/head-counts", params=params)
        try:
            return [
                (str(c["region_code"]), str(c["category"]), str(c["age_group"]), int(c["count"]))
                for c in body["counts"]
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedPeerAnswer("eligibility", f"head counts are malformed: {exc}") from exc
