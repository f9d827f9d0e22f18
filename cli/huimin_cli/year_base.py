"""What a played year is built from: the services' addresses, the staff and their tokens, the HTTP calls
(every failure a ``YearError`` naming the service), what the year reports at its end, and ``YearBase``'s
find-or-do calls (an assessment, a batch, its execution, a filing) that look first at what the services
hold, so a rerun resumes.

``huimin_cli.year`` orders the steps of the year on top of this; its public names are re-exported there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import httpx

from huimin_shared.auth import Role, mint_token
from huimin_shared.settings import DEVELOPMENT_JWT_SECRET

CITY = "210500"


class YearError(RuntimeError):
    """A step could not be done; the message says which service and why. Re-running resumes."""


@dataclass(frozen=True)
class Endpoints:
    eligibility: str = "http://127.0.0.1:8001"
    premium: str = "http://127.0.0.1:8002"
    settlement: str = "http://127.0.0.1:8003"


@dataclass(frozen=True)
class Staff:
    """The people a year needs, each with the token their role carries (maker ≠ checker)."""

    secret: str = DEVELOPMENT_JWT_SECRET

    def headers(self, role: Role, subject: str, region: str | None = None) -> dict[str, str]:
        token = mint_token(self.secret, subject=subject, roles=[role], region=region, ttl_seconds=3600)
        return {"Authorization": f"Bearer {token}"}

    @property
    def civil_affairs(self) -> dict[str, str]:
        return self.headers(Role.civil_affairs, "ca-wang")

    @property
    def social_insurance(self) -> dict[str, str]:
        return self.headers(Role.social_insurance, "si-zhao")

    @property
    def finance_maker(self) -> dict[str, str]:
        return self.headers(Role.finance, "fin-chen")

    @property
    def finance_checker(self) -> dict[str, str]:
        return self.headers(Role.finance, "fin-liu")

    @property
    def auditor(self) -> dict[str, str]:
        return self.headers(Role.auditor, "audit-sun")


@dataclass
class YearResult:
    """What a finance officer reads at the end of the year."""

    year: int
    assessments: dict[str, dict[str, Any]] = field(default_factory=dict)
    batches: dict[str, dict[str, Any]] = field(default_factory=dict)
    funding: dict[str, dict[str, Any]] = field(default_factory=dict)
    monthly_changes: dict[int, dict[str, int]] = field(default_factory=dict)
    r1: dict[str, Any] = field(default_factory=dict)
    reconciliation: dict[str, Any] = field(default_factory=dict)
    schedule: dict[str, Any] = field(default_factory=dict)
    own_shares: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    on: date
    name: str
    run: Callable[[], Awaitable[None]]


class ServiceClient:
    """The three services' public APIs over one ``httpx.AsyncClient``."""

    def __init__(self, http: httpx.AsyncClient, endpoints: Endpoints | None = None) -> None:
        self.http = http
        self.urls = endpoints or Endpoints()

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        headers: dict[str, str],
        *,
        ok: tuple[int, ...] = (200, 201, 202),
        **kwargs: Any,
    ) -> httpx.Response:
        url = getattr(self.urls, service) + path
        try:
            response = await self.http.request(method, url, headers=headers, **kwargs)
        except httpx.TransportError as exc:
            raise YearError(
                f"{service} is unavailable ({exc.__class__.__name__}) at {method} {path}"
            ) from exc
        if response.status_code not in ok:
            raise YearError(
                f"{service} answered {response.status_code} to {method} {path}: {_detail(response)}"
            )
        return response

    async def json(self, service: str, method: str, path: str, headers: dict[str, str], **kwargs: Any) -> Any:
        return (await self.call(service, method, path, headers, **kwargs)).json()


class YearBase(ServiceClient):
    """A year's state and the find-or-do calls its steps are made of: an assessment run to a complete
    version, a batch prepared and approved by a second officer, its execution (topped up first), a
    filing for the schedule. Each looks first at what the services hold, so a rerun resumes."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        year: int,
        *,
        paid: Iterable[str] = (),
        late_payers: Mapping[str, date] | None = None,
        returned: Iterable[str] = (),
        endpoints: Endpoints | None = None,
        staff: Staff | None = None,
        as_of: datetime | None = None,
        poll_seconds: float = 0.2,
    ) -> None:
        super().__init__(http, endpoints)
        self.year = year
        self.paid = sorted(set(paid))
        # marginal people whose own share arrives after 15 January (S3) → paid by a carry batch
        self.late_payers = dict(late_payers or {})
        # refund people whose first payment the bank returns (B§四(四)) → retried to a corrected account
        self.returned = sorted(set(returned))
        self.staff = staff or Staff()
        self.as_of = (as_of or datetime.now(UTC)).isoformat()
        self.poll_seconds = poll_seconds
        self.result = YearResult(year=year)

    async def assessment(self, kind: str) -> dict[str, Any]:
        """The assessment of this kind, run to a complete version (found, resumed or started)."""
        if kind in self.result.assessments:
            return self.result.assessments[kind]
        headers = self.staff.social_insurance
        params = {"region": CITY, "year": self.year, "kind": kind}
        found = (await self.json("premium", "GET", "/v1/assessments", headers, params=params))["items"]
        if found:
            assessment = found[0]
            if assessment["latest_version"] == 0:
                runs = await self.json("premium", "GET", f"/v1/assessments/{assessment['id']}/runs", headers)
                running = [run for run in runs if run["status"] == "running"]
                run = running[-1] if running else await self._rerun(assessment["id"])
                await self._wait(assessment["id"], run["id"])
        else:
            body = {**params, "as_of": self.as_of, "paid": self.paid}
            accepted = await self.json("premium", "POST", "/v1/assessments", headers, json=body)
            assessment = accepted["assessment"]
            await self._wait(assessment["id"], accepted["run"]["id"])
        assessment = await self.json("premium", "GET", f"/v1/assessments/{assessment['id']}", headers)
        version: dict[str, Any] = await self.json(
            "premium",
            "GET",
            f"/v1/assessments/{assessment['id']}/versions/{assessment['latest_version']}",
            headers,
        )
        self.result.assessments[kind] = version
        return version

    async def _rerun(self, assessment_id: str) -> dict[str, Any]:
        body = {"as_of": self.as_of, "paid": self.paid}
        run: dict[str, Any] = await self.json(
            "premium", "POST", f"/v1/assessments/{assessment_id}/runs", self.staff.social_insurance, json=body
        )
        return run

    async def _wait(self, assessment_id: str, run_id: int) -> None:
        path = f"/v1/assessments/{assessment_id}/runs/{run_id}"
        while True:
            run = await self.json("premium", "GET", path, self.staff.social_insurance)
            if run["status"] in ("complete", "unchanged"):
                return
            if run["status"] == "failed":
                raise YearError(f"premium: assessment run {run_id} failed: {run.get('error')}")
            await asyncio.sleep(self.poll_seconds)

    async def submission(
        self, obligation: str, month: int, submitted_on: date, reference: str, filer: dict[str, str]
    ) -> None:
        body = {
            "city": CITY,
            "year": self.year,
            "obligation": obligation,
            "month": month,
            "submitted_on": submitted_on.isoformat(),
            "reference": reference,
        }
        # 409: filed already (a resumed year); the schedule keeps the first filing.
        await self.call(
            "settlement",
            "POST",
            "/v1/schedule/submissions",
            filer,
            json=body,
            ok=(200, 201, 409),
        )

    async def batch(self, kind: str, instalment: int, assessment: dict[str, Any]) -> dict[str, Any]:
        """The live batch of this kind and instalment, prepared if missing and approved by a second
        finance officer (maker-checker)."""
        params = {"city": CITY, "year": self.year, "kind": kind}
        items = (
            await self.json("settlement", "GET", "/v1/batches", self.staff.finance_maker, params=params)
        )["items"]
        live = [
            b
            for b in items
            if b["instalment"] == instalment and b.get("carry_no", 0) == 0 and b["state"] != "cancelled"
        ]
        if live:
            batch: dict[str, Any] = await self.json(
                "settlement", "GET", f"/v1/batches/{live[0]['id']}", self.staff.finance_maker
            )
        else:
            body = {
                "city": CITY,
                "year": self.year,
                "kind": kind,
                "instalment": instalment,
                "assessment_id": assessment["id"],
                "assessment_version": assessment["version"],
            }
            batch = await self.json("settlement", "POST", "/v1/batches", self.staff.finance_maker, json=body)
        if batch["state"] == "prepared":
            batch = await self.json(
                "settlement",
                "POST",
                f"/v1/batches/{batch['id']}/approve",
                self.staff.finance_checker,
                json={},
            )
        return batch

    async def top_up(self, value_date: date, reason: str) -> None:
        """Pay into the fund what the assessments read so far say is still missing (B§三 追加拨款);
        409 ``nothing_owed`` when the pre-allocation already covers it."""
        headers = {**self.staff.finance_maker, "Idempotency-Key": f"top-up:{CITY}:{self.year}:{reason}"}
        body = {"city": CITY, "year": self.year, "value_date": value_date.isoformat()}
        response = await self.call(
            "settlement", "POST", "/v1/funding/supplementary-allocations", headers, json=body, ok=(201, 409)
        )
        if response.status_code == 409 and not response.json().get("nothing_owed"):
            raise YearError(f"settlement refused the top-up for {reason}: {_detail(response)}")
        if response.status_code == 201:
            run = response.json()
            self.result.funding[funding_key(run)] = run

    async def execute(
        self,
        batch: dict[str, Any],
        value_date: date,
        settle: str = "ledger",
        *,
        top_up: bool = True,
        record: bool = True,
    ) -> dict[str, Any]:
        if batch["state"] == "approved":
            if top_up:
                carry = f":carry{batch['carry_no']}" if batch.get("carry_no") else ""
                await self.top_up(value_date, f"{batch['kind']}:{batch['instalment']}{carry}")
            body = {"value_date": value_date.isoformat(), "settle": settle}
            batch = await self.json(
                "settlement",
                "POST",
                f"/v1/batches/{batch['id']}/execute",
                self.staff.finance_maker,
                json=body,
            )
        if record:
            self.result.batches[f"{batch['kind']}:{batch['instalment']}"] = batch
        return batch


def funding_key(run: dict[str, Any]) -> str:
    """``pre_allocation``, ``supplementary_allocation:2``, ``year_end_settlement``."""
    sequence = run.get("basis", {}).get("sequence")
    return f"{run['kind']}:{sequence}" if sequence else str(run["kind"])


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("title") or body)[:300]
    return str(body)[:300]
