"""Typed clients of the peers this service reads: premium (assessments) and eligibility (head counts)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import httpx

from huimin_shared.errors import DependencyUnavailable
from huimin_shared.http import PeerClient, PeerResponseError

PAYERS = ("central", "province", "city", "district_or_county")
FEN = Decimal("0.01")


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
        return Decimal(self.subsidy_fen).scaleb(-2)

    @property
    def by_payer(self) -> tuple[Decimal, ...]:
        return tuple(Decimal(fen).scaleb(-2) for fen in self.by_payer_fen)


class MalformedPeerAnswer(DependencyUnavailable):
    slug = "dependency-malformed"
    title = "A service this one depends on answered something it cannot use"


def _amount(value: Any, where: str) -> Decimal:
    """An amount sent as a decimal string with at most two decimals, read exactly."""
    return Decimal(_fen(value, where)).scaleb(-2)


_AMOUNT = re.compile(r"-?\d{1,14}(\.\d{1,2})?")


def _fen(value: Any, where: str) -> int:
    """A decimal string ("126.00", "-25.5", "30") as whole fen: exact, and much faster than Decimal."""
    if not isinstance(value, str) or _AMOUNT.fullmatch(value) is None:
        raise ValueError(f"{where} is not a decimal string with at most two decimals")
    whole, _, fraction = value.partition(".")
    fen = abs(int(whole)) * 100 + (int(fraction.ljust(2, "0")) if fraction else 0)
    return -fen if value.startswith("-") else fen


def parse_line(raw: bytes | str) -> AssessmentLine:
    """One NDJSON line of an assessment, read exactly in fen (no pydantic per resident)."""
    data = json.loads(raw)
    payers = data["by_payer"]
    line = AssessmentLine(
        id_number=str(data["id_number"]),
        region_code=str(data["region_code"]),
        category=str(data["category"]),
        age_group=str(data["age_group"]),
        line_kind=str(data.get("line_kind") or "regular"),
        adjusts_version=data.get("adjusts_version"),
        subsidy_fen=_fen(data["assistance_subsidy"], "assistance_subsidy"),
        by_payer_fen=(
            _fen(payers["central"], "by_payer.central"),
            _fen(payers["province"], "by_payer.province"),
            _fen(payers["city"], "by_payer.city"),
            _fen(payers["district_or_county"], "by_payer.district_or_county"),
        ),
        citation=str(data.get("citation") or ""),
    )
    if sum(line.by_payer_fen) != line.subsidy_fen:
        raise ValueError("by_payer does not add up to assistance_subsidy")
    return line


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

    async def lines(self, assessment_id: str, version: int) -> AsyncIterator[AssessmentLine]:
        """Every line of the version, streamed as NDJSON: never the whole assessment in memory."""
        path = f"/v1/assessments/{assessment_id}/versions/{version}/lines"
        headers = self._headers({"Accept": "application/x-ndjson"})
        number = 0
        try:
            async with self._http.stream(
                "GET", self._base_url + path, headers=headers, timeout=self._timeout
            ) as response:
                if response.status_code >= 500 or response.status_code == 429:
                    raise DependencyUnavailable("premium", f"GET {path} answered {response.status_code}")
                if response.status_code >= 400:
                    await response.aread()
                    raise PeerResponseError("premium", response.status_code, _problem(response))
                rest = b""
                async for chunk in response.aiter_bytes():
                    *complete, rest = (rest + chunk).split(b"\n")
                    for raw in complete:
                        if raw.strip():
                            number += 1
                            yield self._parse(raw, number, assessment_id, version)
                if rest.strip():
                    yield self._parse(rest, number + 1, assessment_id, version)
        except httpx.TimeoutException as exc:
            raise DependencyUnavailable("premium", f"GET {path} timed out after line {number}") from exc
        except httpx.TransportError as exc:
            raise DependencyUnavailable(
                "premium", f"GET {path} broke off after line {number}: {exc!r}"
            ) from exc

    @staticmethod
    def _parse(raw: bytes, number: int, assessment_id: str, version: int) -> AssessmentLine:
        try:
            return parse_line(raw)
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedPeerAnswer(
                "premium", f"line {number} of assessment {assessment_id} v{version} is malformed: {exc}"
            ) from exc


class EligibilityClient(PeerClient):
    """Reads head counts of eligible people (E7: the funding base is the count on 2009-10-31)."""

    service = "eligibility"

    async def head_counts(self, region: str, on: date) -> list[tuple[str, str, str, int]]:
        body = await self.get_json("/v1/head-counts", params={"region": region, "on": on.isoformat()})
        try:
            return [
                (str(c["region_code"]), str(c["category"]), str(c["age_group"]), int(c["count"]))
                for c in body["counts"]
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedPeerAnswer("eligibility", f"head counts are malformed: {exc}") from exc


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"status": response.status_code, "detail": response.text[:200]}
    return body if isinstance(body, dict) else {"status": response.status_code}
