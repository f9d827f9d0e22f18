"""A Benxi cover year played through the three services' public APIs, in the order of docs/policy.md S3.

Every step first looks at what the services already hold and does only what is missing, so a
year stopped half-way (a service down, Ctrl-C) resumes where it stopped and never pays twice:
batches are found by kind and instalment, funding runs and transfers carry fixed
Idempotency-Keys, assessments are found by region, year and kind.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import httpx

from huimin_cli import money_out
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


class Year:
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
        self.http = http
        self.year = year
        self.paid = sorted(set(paid))
        # marginal people whose own share arrives after 15 January (S3) → paid by a carry batch
        self.late_payers = dict(late_payers or {})
        # refund people whose first payment the bank returns (B§四(四)) → retried to a corrected account
        self.returned = sorted(set(returned))
        self.urls = endpoints or Endpoints()
        self.staff = staff or Staff()
        self.as_of = (as_of or datetime.now(UTC)).isoformat()
        self.poll_seconds = poll_seconds
        self.result = YearResult(year=year)

    # --- HTTP -------------------------------------------------------------------------------
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

    # --- the year, in date order --------------------------------------------------------------
    def steps(self) -> list[Step]:
        y = self.year
        steps = [
            Step(date(y - 1, 11, 1), "open the chart of accounts", self.open_chart),
            Step(
                date(y - 1, 12, 1), "annual assessment (dibao collective, marginal)", self.annual_assessment
            ),
            Step(
                date(y - 1, 12, 20),
                f"pre-allocation from the head count of {y - 1}-10-31 (B§三)",
                self.pre_allocation,
            ),
            Step(date(y - 1, 12, 28), "December enrolment filed (B§五(三))", self.december_enrolment),
            Step(
                date(y, 1, 14), "dibao collective payment, due 15 January (B§四(一))", self.dibao_collective
            ),
            Step(date(y - 1, 12, 29), "own shares paid, sent by social insurance (S3)", self.own_shares_paid),
            Step(date(y, 1, 14), "marginal instalment 1, due 15 January (B§四(二))", self.marginal(1)),
            Step(
                date(y, 3, 15), "late own shares: instalment 1 carried (S3)", self.carried(1, date(y, 3, 15))
            ),
            Step(date(y, 7, 9), "marginal instalment 2, due 10 July (B§四(二))", self.marginal(2)),
            Step(date(y, 12, 15), "refund assessment (B§四(四))", self.assessment_step("refunds")),
            Step(date(y, 12, 20), "refunds to residents through the bank (B§四(四))", self.refunds),
            Step(date(y, 12, 22), "new-entrant assessment (B§四(三))", self.assessment_step("new_entrants")),
            Step(date(y, 12, 23), "new-entrant batch prepared and approved", self.new_entrants_prepared),
            Step(date(y, 12, 31), "year-end settlement, city and districts/counties (B§三)", self.year_end),
            Step(
                date(y + 1, 1, 14),
                "new entrants paid, due 15 January next year (B§四(三))",
                self.new_entrants_paid,
            ),
            Step(date(y + 1, 3, 25), "R1 province report (N§一)", self.province_report),
            Step(date(y + 1, 3, 31), "reconciliation and schedule", self.reconcile),
        ]
        steps += [
            Step(
                date(y, month, 8),
                f"monthly change report {y}-{month:02d} (B§四(三))",
                self.monthly_report(month),
            )
            for month in range(1, 13)
        ]
        return sorted(steps, key=lambda step: step.on)

    async def play(self, on_step: Callable[[Step], None] | None = None) -> YearResult:
        for step in self.steps():
            await step.run()
            if on_step is not None:
                on_step(step)
        return self.result

    # --- steps --------------------------------------------------------------------------------
    async def open_chart(self) -> None:
        await self.json(
            "settlement", "POST", "/v1/ledger/charts", self.staff.finance_maker, json={"city": CITY}
        )

    async def annual_assessment(self) -> None:
        await self.assessment("annual")

    def assessment_step(self, kind: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            if kind == "refunds" and not self.paid:
                return  # nobody had paid their own share: nothing to refund (B§四(四))
            await self.assessment(kind)

        return run

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

    async def pre_allocation(self) -> None:
        annual = await self.assessment("annual")
        headers = {**self.staff.finance_maker, "Idempotency-Key": f"pre-allocation:{CITY}:{self.year}"}
        body = {
            "city": CITY,
            "year": self.year,
            "assessment_id": annual["id"],
            "assessment_version": annual["version"],
            "value_date": date(self.year, 1, 5).isoformat(),
        }
        self.result.funding["pre_allocation"] = await self.json(
            "settlement", "POST", "/v1/funding/pre-allocations", headers, json=body
        )

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

    async def december_enrolment(self) -> None:
        filed_on = date(self.year - 1, 12, 28)
        await self.submission(
            "december_enrolment", 0, filed_on, "社保局参保登记", self.staff.social_insurance
        )

    def monthly_report(self, month: int) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            params = {"region": CITY, "month": f"{self.year}-{month:02d}"}
            report = await self.json(
                "eligibility", "GET", "/v1/monthly-changes", self.staff.civil_affairs, params=params
            )
            counts = {"new": 0, "exited": 0, "changed": 0}
            for item in report["items"]:
                counts[item["change"]] = counts.get(item["change"], 0) + 1
            self.result.monthly_changes[month] = counts
            filed_on = date(self.year, month, 8)
            await self.submission(
                "monthly_change_report", month, filed_on, f"变更明细表 {month}月", self.staff.civil_affairs
            )

        return run

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

    async def dibao_collective(self) -> None:
        annual = await self.assessment("annual")
        await self.execute(await self.batch("dibao_collective", 0, annual), date(self.year, 1, 14))

    def marginal(self, instalment: int) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            annual = await self.assessment("annual")
            value_date = date(self.year, 1, 14) if instalment == 1 else date(self.year, 7, 9)
            await self.execute(await self.batch("marginal_instalment", instalment, annual), value_date)

        return run

    async def own_shares_paid(self) -> None:
        await money_out.own_shares_paid(self)

    def carried(self, instalment: int, on: date) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            await money_out.carry(self, instalment, on)

        return run

    async def refunds(self) -> None:
        """Refunds reach each person: the batch moves the money to the refund payee account, then one
        instruction per person goes to the bank and its answers come back (B§四(四))."""
        if not self.paid:
            return
        assessment = await self.assessment("refunds")
        if assessment["line_count"] == 0:
            return
        batch = await self.execute(await self.batch("refunds", 0, assessment), date(self.year, 12, 20))
        await money_out.refunds_per_person(self, batch)
        self.result.batches["refunds:0"] = await self.json(
            "settlement", "GET", f"/v1/batches/{batch['id']}", self.staff.finance_maker
        )

    async def new_entrants_prepared(self) -> None:
        assessment = await self.assessment("new_entrants")
        if assessment["line_count"]:
            await self.batch("new_entrants", 0, assessment)

    async def year_end(self) -> None:
        headers = {**self.staff.finance_maker, "Idempotency-Key": f"year-end-settlement:{CITY}:{self.year}"}
        body = {"city": CITY, "year": self.year, "value_date": date(self.year, 12, 31).isoformat()}
        self.result.funding["year_end_settlement"] = await self.json(
            "settlement", "POST", "/v1/funding/year-end-settlements", headers, json=body
        )

    async def new_entrants_paid(self) -> None:
        assessment = await self.assessment("new_entrants")
        if assessment["line_count"]:
            # Paid from what the year-end settlement put in the fund (the period is closed for top-ups).
            batch = await self.batch("new_entrants", 0, assessment)
            await self.execute(batch, date(self.year + 1, 1, 14), top_up=False)

    async def province_report(self) -> None:
        self.result.r1 = await self.json(
            "premium",
            "GET",
            "/v1/reports/r1",
            self.staff.civil_affairs,
            params={"region": CITY, "year": self.year},
        )
        filed_on = date(self.year + 1, 3, 25)
        await self.submission("province_report", 0, filed_on, "R1 辽宁省报送", self.staff.finance_maker)

    async def reconcile(self) -> None:
        params = {"city": CITY, "year": self.year}
        await self.read_funding()
        self.result.reconciliation = await self.json(
            "settlement", "GET", "/v1/reconciliation", self.staff.auditor, params=params
        )
        self.result.schedule = await self.json(
            "settlement",
            "GET",
            "/v1/schedule",
            self.staff.auditor,
            params={**params, "on": date(self.year + 1, 4, 1).isoformat()},
        )

    async def read_funding(self) -> None:
        """Every funding run of the year as settlement holds it — the pre-allocation, each top-up
        and the year-end settlement — whichever run of this command made them, so a resumed year
        reports the same complete table as one played in one go."""
        runs = await self.json(
            "settlement",
            "GET",
            "/v1/funding/runs",
            self.staff.auditor,
            params={"city": CITY, "year": self.year},
        )
        self.result.funding = {funding_key(run): run for run in runs["items"]}


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
