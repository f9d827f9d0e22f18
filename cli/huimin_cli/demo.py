"""The Benxi demo: synthetic residents loaded into eligibility over its import API, and the
finance officer's summary of a played year."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
from rich.cells import cell_len
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


# --- the finance officer's summary -----------------------------------------------------------------
# Headings in Chinese with English; internal keys (dibao_collective:0) are shown in words.

ASSESSMENT_NAMES = {
    "annual": "年度测算 annual",
    "new_entrants": "新增人员 new entrants",
    "refunds": "年底返还 refunds",
}
CATEGORY_NAMES = {
    "dibao": "城市低保 dibao",
    "marginal": "低保边缘 marginal",
    "low_income_elderly": "低收入老年人 low-income elderly",
    "severely_disabled": "重度残疾人 severely disabled",
}
BATCH_NAMES = {
    ("dibao_collective", 0): "低保集体投保 dibao collective payment",
    ("marginal_instalment", 1): "低保边缘第一期 marginal, instalment 1",
    ("marginal_instalment", 2): "低保边缘第二期 marginal, instalment 2",
    ("refunds", 0): "年底返还 refunds to residents",
    ("new_entrants", 0): "新增人员 new entrants",
}
FUNDING_NAMES = {
    "pre_allocation": "预拨 pre-allocation",
    "supplementary_allocation": "追加拨款 supplementary allocation",
    "year_end_settlement": "年底结算 year-end settlement",
}
OBLIGATION_NAMES = {
    "december_enrolment": "参保登记 enrolment data and cards",
    "dibao_collective": "低保集体投保 dibao collective payment",
    "marginal_instalment": "低保边缘 marginal instalment",
    "refunds": "年底返还 refunds",
    "year_end_settlement": "年底结算 year-end settlement",
    "new_entrants": "新增人员 new entrants paid",
    "province_report": "省级报送 R1 province report",
    "monthly_change_report": "变更信息 monthly change report",
}
STATUS_NAMES = {"done": "已完成 done", "due": "未到期 due", "overdue": "已逾期 overdue"}
STATE_NAMES = {
    "prepared": "已编制 prepared",
    "approved": "已审批 approved",
    "reserved": "待银行确认 at the bank",
    "executed": "已执行 executed",
    "cancelled": "已取消 cancelled",
}


@dataclass(frozen=True)
class Column:
    heading: str
    numeric: bool = False


@dataclass
class Figures:
    """One table of the summary, as text cells; rendered as a Rich table on a terminal, plain
    aligned text otherwise, never cutting a cell short."""

    title: str
    columns: list[Column]
    rows: list[list[str]] = field(default_factory=list)


def batch_name(kind: str, instalment: int) -> str:
    return BATCH_NAMES.get((kind, instalment), f"{kind} {instalment}".replace("_", " "))


def funding_name(run: dict[str, Any]) -> str:
    name = FUNDING_NAMES.get(run["kind"], run["kind"].replace("_", " "))
    sequence = run.get("basis", {}).get("sequence")
    return f"{name} {sequence}" if sequence else name


def into_the_fund(run: dict[str, Any]) -> Decimal:
    """What a funding run paid into the medical assistance fund, from its basis row by row: the
    pre-allocation's priced amounts, a top-up's or the year-end settlement's differences."""
    basis = run.get("basis", {})
    if "rows" in basis:
        return sum((Decimal(row["difference"]) for row in basis["rows"]), Decimal("0.00"))
    return sum((Decimal(a["amount"]) for a in basis.get("amounts", [])), Decimal("0.00"))


def summary_tables(result: YearResult) -> list[Figures]:
    """The tables a finance officer reads at the end of the year, built from what the services hold."""
    tables = []
    payers = ("central", "province", "city", "district_or_county")
    people = Figures(
        f"参保人员测算 Residents assessed, {result.year} (本溪市 Benxi)",
        [
            Column("测算 assessment"),
            Column("人数 people", numeric=True),
            Column("资助 assistance subsidy (元)", numeric=True),
            Column("中央 central", numeric=True),
            Column("省 province", numeric=True),
            Column("市 city", numeric=True),
            Column("县区 district/county", numeric=True),
        ],
    )
    for kind, version in result.assessments.items():
        totals = version["totals"]
        people.rows.append(
            [
                ASSESSMENT_NAMES.get(kind, kind),
                f"{int(totals.get('residents', version.get('resident_count', 0))):,}",
                _yuan(totals["assistance_subsidy"]),
                *(_yuan(totals["by_payer"][level]) for level in payers),
            ]
        )
    tables.append(people)

    annual = result.assessments.get("annual")
    if annual:
        categories = Figures(
            "年度测算分类 Annual assessment by category",
            [
                Column("类别 category"),
                Column("人数 people", numeric=True),
                Column("个人缴费 individual contribution (元)", numeric=True),
                Column("资助 assistance subsidy (元)", numeric=True),
                Column("个人负担 resident pays (元)", numeric=True),
            ],
        )
        for category, group in sorted(annual["totals"]["by_category"].items()):
            categories.rows.append(
                [
                    CATEGORY_NAMES.get(category, category),
                    f"{int(group['residents']):,}",
                    _yuan(group["individual_contribution"]),
                    _yuan(group["assistance_subsidy"]),
                    _yuan(group["resident_pays"]),
                ]
            )
        tables.append(categories)

    batches = Figures(
        "拨付批次 Payments (batches executed through the ledger)",
        [
            Column("批次 batch"),
            Column("截止 due"),
            Column("记账日 value date"),
            Column("状态 state"),
            Column("明细 lines", numeric=True),
            Column("金额 total (元)", numeric=True),
            Column("转账 transfers", numeric=True),
        ],
    )
    for batch in result.batches.values():
        batches.rows.append(
            [
                batch_name(batch["kind"], batch["instalment"])
                + (f" 补发 carry {batch['carry_no']}" if batch.get("carry_no") else ""),
                str(batch.get("due_on") or "—"),
                str(batch.get("value_date") or "—"),
                STATE_NAMES.get(batch["state"], batch["state"]),
                f"{int(batch['control']['line_count']):,}",
                _yuan(batch["control"]["total"]),
                f"{len(batch.get('transfers', [])):,}",
            ]
        )
    tables.append(batches)

    funding = Figures(
        "资金筹集 Funding into the medical assistance fund (B§三)",
        [
            Column("拨款 run"),
            Column("记账日 value date"),
            Column("转账 transfers", numeric=True),
            Column("入账 into the fund (元)", numeric=True),
        ],
    )
    total = Decimal("0.00")
    for run in result.funding.values():
        amount = into_the_fund(run)
        total += amount
        funding.rows.append(
            [
                funding_name(run),
                str(run.get("value_date", "—")),
                f"{len(run.get('transfers', [])):,}",
                _yuan(amount),
            ]
        )
    funding.rows.append(["合计 total", "", "", _yuan(total)])
    tables.append(funding)

    if result.schedule:
        deadlines = Figures(
            "法定期限 Statutory deadlines",
            [
                Column("事项 obligation"),
                Column("条款 clause"),
                Column("截止 due"),
                Column("完成 done on"),
                Column("状态 status"),
            ],
        )
        for item in result.schedule["items"]:
            name = OBLIGATION_NAMES.get(item["obligation"], item["obligation"].replace("_", " "))
            if item.get("month"):
                name += f" {item['month']}"
            status = STATUS_NAMES.get(item["status"], item["status"])
            if item.get("late"):
                status += " (逾期完成 late)"
            deadlines.rows.append(
                [name, item["clause"].split(" ")[-1], item["due_on"], item.get("done_on") or "—", status]
            )
        tables.append(deadlines)
    return tables


def summary_lines(result: YearResult) -> list[str]:
    """The sentences under the tables: reconciliation, the funding total against it, the deadlines."""
    lines = []
    reconciliation = result.reconciliation
    if reconciliation:
        totals = reconciliation["totals"]
        proofs = reconciliation["proofs"]
        funded = sum((into_the_fund(run) for run in result.funding.values()), Decimal("0.00"))
        lines.append(
            f"对账 Reconciliation {result.year}: due {_yuan(totals['due'])} 元, moved {_yuan(totals['moved'])} 元, "
            f"difference {_yuan(totals['difference'])} 元; {len(reconciliation['differences'])} differences; "
            f"entries sum to zero: {proofs['entries_sum_to_zero']}; balances equal entries: "
            f"{proofs['balances_equal_entries']} — {'balanced 已平衡' if reconciliation['balanced'] else 'NOT balanced 未平衡'}"
        )
        agreement = "equals" if funded == Decimal(totals["due"]) else "DOES NOT equal"
        lines.append(
            f"资金核对 Funding check: {_yuan(funded)} 元 paid into the fund {agreement} the "
            f"{_yuan(totals['due'])} 元 due"
        )
    if result.schedule:
        statuses: dict[str, int] = {}
        for item in result.schedule["items"]:
            statuses[item["status"]] = statuses.get(item["status"], 0) + 1
        counted = ", ".join(
            f"{count} {STATUS_NAMES.get(status, status)}" for status, count in sorted(statuses.items())
        )
        lines.append(f"期限 Deadlines judged on {result.schedule['on']}: {counted}")
    lines.append("条款 Clauses cited here (B§三, B§四 and the others) are indexed in docs/policy.md")
    return lines


def _plain(figures: Figures) -> str:
    """Aligned text, every cell whole, as wide as it needs to be (CJK characters count double)."""
    widths = [
        max([cell_len(column.heading)] + [cell_len(row[i]) for row in figures.rows])
        for i, column in enumerate(figures.columns)
    ]

    def line(cells: list[str]) -> str:
        padded = []
        for cell, width, column in zip(cells, widths, figures.columns, strict=True):
            gap = " " * (width - cell_len(cell))
            padded.append(gap + cell if column.numeric else cell + gap)
        return "  ".join(padded).rstrip()

    rule = "  ".join("-" * width for width in widths)
    body = [line([c.heading for c in figures.columns]), rule, *(line(row) for row in figures.rows)]
    return "\n".join([figures.title, *body, ""])


def _rich(figures: Figures) -> tuple[Table, int]:
    """A Rich table and the width it needs so that no cell is cut or folded."""
    table = Table(title=figures.title, title_justify="left")
    needed = 1
    for i, column in enumerate(figures.columns):
        widest = max([cell_len(column.heading)] + [cell_len(row[i]) for row in figures.rows])
        table.add_column(
            column.heading,
            justify="right" if column.numeric else "left",
            min_width=widest,
            no_wrap=True,
            overflow="fold",  # never an ellipsis, should a terminal still be narrower
        )
        needed += widest + 3
    for row in figures.rows:
        table.add_row(*row)
    return table, needed


def print_summary(result: YearResult, console: Console) -> None:
    """What a finance officer reads at the end of the year: tables widened to fit every figure on a
    terminal, plain aligned text when the output is piped or redirected."""
    tables = summary_tables(result)
    lines = summary_lines(result)
    if not console.is_terminal:
        for figures in tables:
            console.out(_plain(figures), highlight=False)
        console.out("\n".join(lines), highlight=False)
        return
    for figures in tables:
        table, needed = _rich(figures)
        terminal_width = console.width
        console.width = max(terminal_width, needed)  # wider than the terminal: it wraps, nothing is cut
        try:
            console.print(table, crop=False)
        finally:
            console.width = terminal_width
    for text in lines:
        console.print(text, markup=False, highlight=False)
