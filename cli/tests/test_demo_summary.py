"""The finance officer's summary of `huimin demo year` (issue 10 item 5): no figure cut short, on a
terminal or piped; headings in Chinese with English; batches, funding runs and deadlines in words;
the funding table adds up to the reconciled total."""

import io
from decimal import Decimal
from typing import Any

from rich.console import Console

from huimin_cli.demo import print_summary
from huimin_cli.year import YearResult, funding_key

BIG = "12345678901.23"  # wider than any column would be given at 80 columns


def _payers(total: str) -> dict[str, str]:
    half = (Decimal(total) / 2).quantize(Decimal("0.01"))
    return {
        "central": "0.00",
        "province": "0.00",
        "city": str(half),
        "district_or_county": str(Decimal(total) - half),
    }


def _run(kind: str, amount: str, *, sequence: int | None = None, rows: bool = True) -> dict[str, Any]:
    basis: dict[str, Any] = (
        {"rows": [{"region_code": "210502", "payer_level": "city", "difference": amount}]}
        if rows
        else {"amounts": [{"region_code": "210502", "payer_level": "city", "amount": amount}]}
    )
    if sequence is not None:
        basis["sequence"] = sequence
    return {"kind": kind, "value_date": "2010-01-05", "basis": basis, "transfers": [{}, {}]}


def sample_result(due: str = "291031.00") -> YearResult:
    result = YearResult(year=2010)
    result.assessments["annual"] = {
        "totals": {
            "residents": 2861,
            "assistance_subsidy": BIG,
            "by_payer": _payers(BIG),
            "by_category": {
                "dibao": {"residents": 2000, "individual_contribution": BIG, "assistance_subsidy": BIG,
                          "resident_pays": "0.00"},
                "marginal": {"residents": 861, "individual_contribution": "98765.43",
                             "assistance_subsidy": "69135.80", "resident_pays": "29629.63"},
            },
        }
    }  # fmt: skip
    result.batches["dibao_collective:0"] = {
        "kind": "dibao_collective", "instalment": 0, "due_on": "2010-01-15", "value_date": "2010-01-14",
        "state": "executed", "control": {"line_count": 2000, "total": "273371.00"}, "transfers": [{}] * 12,
    }  # fmt: skip
    result.batches["marginal_instalment:2"] = {
        "kind": "marginal_instalment", "instalment": 2, "due_on": "2010-07-10", "value_date": "2010-07-09",
        "state": "executed", "control": {"line_count": 861, "total": "17660.00"}, "transfers": [{}] * 12,
    }  # fmt: skip
    for run in (
        _run("pre_allocation", "273371.00", rows=False),
        _run("supplementary_allocation", "17660.00", sequence=1),
        _run("year_end_settlement", "0.00"),
    ):
        result.funding[funding_key(run)] = run
    result.reconciliation = {
        "totals": {"due": due, "moved": due, "difference": "0.00"},
        "differences": [],
        "proofs": {"entries_sum_to_zero": True, "balances_equal_entries": True},
        "balanced": True,
    }
    result.schedule = {
        "on": "2011-04-01",
        "items": [
            {"obligation": "dibao_collective", "month": 0, "due_on": "2010-01-15", "clause": "本政办发〔2009〕130号 B§四(一)",
             "status": "done", "late": False, "done_on": "2010-01-14"},
            {"obligation": "monthly_change_report", "month": 3, "due_on": "2010-03-10",
             "clause": "本政办发〔2009〕130号 B§四(三)", "status": "done", "late": True, "done_on": "2010-03-12"},
        ],
    }  # fmt: skip
    return result


def render(console: Console) -> str:
    print_summary(sample_result(), console)
    file = console.file
    assert isinstance(file, io.StringIO)
    return file.getvalue()


FIGURES = ("12,345,678,901.23", "6,172,839,450.62", "273,371.00", "17,660.00", "291,031.00", "2,861")


def test_piped_output_is_plain_text_with_every_figure_whole() -> None:
    output = render(Console(file=io.StringIO(), width=80))
    assert "\x1b[" not in output  # no colour codes
    assert "…" not in output
    assert "│" not in output, "plain text, not a box-drawn table"
    for figure in FIGURES:
        assert figure in output, figure


def test_a_narrow_terminal_widens_the_table_rather_than_cut_a_figure() -> None:
    output = render(Console(file=io.StringIO(), force_terminal=True, width=50, color_system=None))
    assert "…" not in output
    for heading in ("人数 people", "截止 due", "明细 lines", "入账 into the fund (元)"):
        assert heading in output, f"column {heading} collapsed"
    for figure in FIGURES:
        assert figure in output, figure


def test_headings_are_in_chinese_with_english_and_batches_and_runs_in_words() -> None:
    output = render(Console(file=io.StringIO()))
    for heading in (
        "参保人员测算 Residents assessed",
        "拨付批次 Payments",
        "资金筹集 Funding",
        "法定期限 Statutory deadlines",
    ):
        assert heading in output
    assert "低保集体投保 dibao collective payment" in output
    assert "低保边缘第二期 marginal, instalment 2" in output
    assert "追加拨款 supplementary allocation 1" in output
    assert "dibao_collective" not in output
    assert "marginal_instalment" not in output


def test_deadlines_print_as_dates_not_a_python_dict() -> None:
    output = render(Console(file=io.StringIO()))
    assert "{'" not in output
    assert "2010-01-15" in output
    assert "变更信息 monthly change report 3" in output
    assert "逾期完成 late" in output
    assert "期限 Deadlines judged on 2011-04-01: 2 已完成 done" in output


def test_the_funding_table_adds_up_to_the_reconciled_total() -> None:
    """B§三: pre-allocation 273,371.00 + top-up 17,660.00 + year-end 0.00 = 291,031.00 due."""
    output = render(Console(file=io.StringIO()))
    total_row = next(line for line in output.splitlines() if line.startswith("合计 total"))
    assert total_row.split()[-1] == "291,031.00"
    assert "291,031.00 元 paid into the fund equals the 291,031.00 元 due" in output


def test_a_funding_table_that_misses_a_run_says_so() -> None:
    console = Console(file=io.StringIO())
    print_summary(sample_result(due="308691.00"), console)
    assert "DOES NOT equal the 308,691.00 元 due" in console.file.getvalue()  # type: ignore[attr-defined]


def test_the_summary_points_to_the_clause_index() -> None:
    assert "docs/policy.md" in render(Console(file=io.StringIO()))
