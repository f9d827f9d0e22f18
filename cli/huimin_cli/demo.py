"""The Benxi demo: synthetic residents loaded into eligibility over its import API, and the
finance officer's summary of a played year."""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from huimin_cli.year import Endpoints, Staff, YearError, YearResult
from huimin_eligibility.imports.parsing import synthetic_csv_lines
from huimin_shared.readiness import ready_timeout_seconds
from huimin_shared.synthetic import synthetic_residents

DEMO_RESIDENTS = 3000
DEMO_SEED = 2010


@dataclass(frozen=True)
class Demo:
    """Which synthetic city: the same count, year and seed always give the same people."""

    residents: int = DEMO_RESIDENTS
    year: int = 2010
    seed: int = DEMO_SEED

    def csv_bytes(self) -> bytes:
        people = synthetic_residents(self.residents, year=self.year, seed=self.seed)
        return "".join(synthetic_csv_lines(people)).encode("utf-8")

    def paid(self) -> list[str]:
        """Who had already paid their own share: the list the social insurance system hands over (B§四(四))."""
        people = synthetic_residents(self.residents, year=self.year, seed=self.seed)
        return [person.id_number for person in people if person.already_paid]


def load(demo: Demo, endpoints: Endpoints, staff: Staff, timeout: float | None = None) -> dict[str, Any]:
    """Import the demo roster through eligibility's public import route. Importing it again changes
    nothing (its rows come back unchanged), so this is safe on every start. Waits at most
    ``timeout`` seconds (default HUIMIN_READY_TIMEOUT_SECONDS) for the import to finish."""
    timeout = ready_timeout_seconds() if timeout is None else timeout
    files = {"file": (f"benxi-{demo.year}-demo-{demo.residents}.csv", demo.csv_bytes(), "text/csv")}
    try:
        response = httpx.post(
            endpoints.eligibility + "/v1/imports",
            files=files,
            data={"mode": "partial"},
            headers=staff.civil_affairs,
            timeout=timeout,
        )
    except httpx.TransportError as exc:
        raise YearError(f"eligibility is unavailable ({exc.__class__.__name__})") from exc
    if response.status_code not in (201, 202):
        raise YearError(
            f"eligibility answered {response.status_code} to the demo import: {response.text[:300]}"
        )
    job: dict[str, Any] = response.json()
    # A large file runs in the background (202): wait for it, so a year never starts on half a roster.
    deadline = time.monotonic() + timeout
    while job["status"] == "running":
        if time.monotonic() > deadline:
            raise YearError(f"the demo import {job['id']} is still running after {timeout:g} s")
        time.sleep(0.5)
        polled = httpx.get(
            f"{endpoints.eligibility}/v1/imports/{job['id']}", headers=staff.civil_affairs, timeout=30
        )
        if polled.status_code != 200:
            raise YearError(f"eligibility answered {polled.status_code} about import {job['id']}")
        job = polled.json()
    if job["status"] != "complete":
        raise YearError(f"the demo import ended {job['status']}: {job.get('error')}")
    return job


def _yuan(value: str | Decimal) -> str:
    return f"{Decimal(value):,.2f}"


def print_summary(result: YearResult, console: Console) -> None:
    """What a finance officer reads at the end of the year."""
    people = Table(title=f"Residents assessed, {result.year} (本溪市)")
    for column in (
        "assessment",
        "people",
        "assistance subsidy (元)",
        "central",
        "province",
        "city",
        "district/county",
    ):
        people.add_column(column, justify="right" if column != "assessment" else "left")
    for kind, version in result.assessments.items():
        totals = version["totals"]
        payer = totals["by_payer"]
        people.add_row(
            kind,
            str(totals.get("residents", version.get("resident_count", ""))),
            _yuan(totals["assistance_subsidy"]),
            *(_yuan(payer[level]) for level in ("central", "province", "city", "district_or_county")),
        )
    console.print(people)

    annual = result.assessments.get("annual")
    if annual:
        categories = Table(title="Annual assessment by category")
        for column in (
            "category",
            "people",
            "individual contribution",
            "assistance subsidy",
            "resident pays",
        ):
            categories.add_column(column, justify="right" if column != "category" else "left")
        for category, group in sorted(annual["totals"]["by_category"].items()):
            categories.add_row(
                category,
                str(group["residents"]),
                _yuan(group["individual_contribution"]),
                _yuan(group["assistance_subsidy"]),
                _yuan(group["resident_pays"]),
            )
        console.print(categories)

    batches = Table(title="Payments (batches executed through the ledger)")
    for column in ("batch", "due", "value date", "state", "lines", "total (元)", "transfers"):
        batches.add_column(
            column, justify="right" if column in ("lines", "total (元)", "transfers") else "left"
        )
    for name, batch in result.batches.items():
        batches.add_row(
            name,
            str(batch.get("due_on")),
            str(batch.get("value_date")),
            batch["state"],
            str(batch["control"]["line_count"]),
            _yuan(batch["control"]["total"]),
            str(len(batch.get("transfers", []))),
        )
    console.print(batches)

    funding = Table(title="Funding (B§三)")
    for column in ("run", "transfers", "into the fund (元)"):
        funding.add_column(column, justify="left" if column == "run" else "right")
    for name, run in result.funding.items():
        rows = run.get("basis", {}).get("rows", [])
        amount = sum((Decimal(row["difference"]) for row in rows), Decimal("0.00")) if rows else None
        if amount is None:
            amounts = run.get("basis", {}).get("amounts", [])
            amount = sum((Decimal(a["amount"]) for a in amounts), Decimal("0.00"))
        funding.add_row(name, str(len(run.get("transfers", []))), _yuan(amount))
    console.print(funding)

    reconciliation = result.reconciliation
    if reconciliation:
        totals = reconciliation["totals"]
        proofs = reconciliation["proofs"]
        balanced = "[green]balanced[/green]" if reconciliation["balanced"] else "[red]NOT balanced[/red]"
        console.print(
            f"Reconciliation {result.year}: due {_yuan(totals['due'])} 元, moved {_yuan(totals['moved'])} 元, "
            f"difference {_yuan(totals['difference'])} 元 — {len(reconciliation['differences'])} differences; "
            f"entries sum to zero: {proofs['entries_sum_to_zero']}; balances equal entries: "
            f"{proofs['balances_equal_entries']} — {balanced}"
        )
    if result.schedule:
        statuses: dict[str, int] = {}
        for item in result.schedule["items"]:
            statuses[item["status"]] = statuses.get(item["status"], 0) + 1
        console.print(f"Statutory deadlines: {statuses}")
