"""A Benxi cover year played through the three services' public APIs, in the order of docs/policy.md S3.

Every step first looks at what the services already hold and does only what is missing, so a
year stopped half-way (a service down, Ctrl-C) resumes where it stopped and never pays twice:
batches are found by kind and instalment, funding runs and transfers carry fixed
Idempotency-Keys, assessments are found by region, year and kind.

The addresses, staff tokens, HTTP calls, result types and the find-or-do calls the steps are built
from live in ``huimin_cli.year_base``; its public names are importable from here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

from huimin_cli import money_out
from huimin_cli.year_base import (
    CITY,
    Endpoints,
    Staff,
    Step,
    YearBase,
    YearError,
    YearResult,
    _detail,
    funding_key,
)

__all__ = [
    "CITY",
    "Endpoints",
    "Staff",
    "Step",
    "Year",
    "YearBase",
    "YearError",
    "YearResult",
    "_detail",
    "funding_key",
]


class Year(YearBase):
    """The year's steps in date order (``steps``), each built from ``YearBase``'s find-or-do calls."""

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
