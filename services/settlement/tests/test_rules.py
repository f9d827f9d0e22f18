"""Pure rules of the settlement service, hammered with hypothesis (P6, S3, B§三, B§四)."""

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from huimin_policy.enums import Payer
from huimin_settlement.batches.rules import (
    BLOCK,
    BatchKind,
    ByPayer,
    LineTotals,
    due_on,
    line_amounts_fen,
    line_numbers,
    takes_line,
)
from huimin_settlement.funding.rules import default_head_count_date, legs, per_head, true_up
from huimin_settlement.ledger.rules import (
    AccountType,
    chart_of_accounts,
    entry_amounts,
    known_districts,
)
from huimin_settlement.schedule.rules import Status, deadlines, status_of

fen = st.integers(min_value=-10_000_000, max_value=10_000_000).map(lambda n: Decimal(n) / 100)


fen_ints = st.integers(min_value=-1_000_000_000, max_value=1_000_000_000)


@given(st.tuples(fen_ints, fen_ints, fen_ints, fen_ints))
def test_two_marginal_instalments_add_up_to_the_subsidy_to_the_fen(by_payer) -> None:
    """B§四(二) / P6: each payer's part is halved to the fen; the halves add up to the whole, odd fen first
    (also for negative adjustment lines: −105.01 → −52.51 + −52.50)."""
    kind = BatchKind.marginal_instalment
    first, second = line_amounts_fen(kind, 1, by_payer), line_amounts_fen(kind, 2, by_payer)
    assert tuple(a + b for a, b in zip(first, second, strict=True)) == by_payer
    assert all(abs(a) - abs(b) in (0, 1) for a, b in zip(first, second, strict=True))


by_payer = st.tuples(fen_ints, fen_ints, fen_ints, fen_ints).map(ByPayer.of_fen)


@given(by_payer, by_payer)
def test_by_payer_parts_add_up_and_totals_add_line_by_line(a: ByPayer, b: ByPayer) -> None:
    """P6: a total is its parts' sum; adding and taking away part by part is exact, in fen and in yuan."""
    assert (a + b).total == a.total + b.total
    assert (a + b) - b == a
    assert ByPayer.of_yuan(*a.yuan()) == a
    assert (LineTotals(1, a) + LineTotals(2, b)) == LineTotals(3, a + b)


@given(by_payer)
def test_instalment_two_is_instalment_one_less_the_odd_fen_it_recorded(assessed: ByPayer) -> None:
    """B§四(二) / P6 (migration 0004): instalment 1 keeps, per payer, whether the assessed part had an odd fen;
    instalment 1 less those fen is instalment 2 — what copying instalment 1's lines in SQL relies on."""
    first, second = assessed.split(1), assessed.split(2)
    assert first + second == assessed
    assert first.less_odd_fen(assessed.odd_fen_bits()) == second


@given(st.lists(st.tuples(st.sampled_from("ABCDE"), st.sampled_from("xyz")), max_size=300))
def test_each_region_and_category_has_one_contiguous_block_of_line_numbers(keys) -> None:
    """S4: lines of one region and category are numbered 1, 2, … within their own block (blocks in order of
    first appearance), so one transfer per region, category and payer covers one range of lines."""
    numbers = list(line_numbers(keys))
    assert len(set(numbers)) == len(numbers)
    order = list(dict.fromkeys(keys))
    for key in order:
        mine = [n for n, k in zip(numbers, keys, strict=True) if k == key]
        block = order.index(key)
        assert mine == list(range(block * BLOCK + 1, block * BLOCK + len(mine) + 1))


def test_marginal_instalment_of_88_26_is_44_14_and_44_12() -> None:
    """B§四(二): 61.79 city → 30.90 + 30.89; 26.47 district → 13.24 + 13.23; other kinds pay the whole."""
    by_payer = (0, 0, 6179, 2647)
    assert line_amounts_fen(BatchKind.marginal_instalment, 1, by_payer) == (0, 0, 3090, 1324)
    assert line_amounts_fen(BatchKind.marginal_instalment, 2, by_payer) == (0, 0, 3089, 1323)
    assert line_amounts_fen(BatchKind.marginal_instalment, 1, (0, 0, -10501, 0)) == (0, 0, -5251, 0)
    assert line_amounts_fen(BatchKind.dibao_collective, 0, by_payer) == by_payer


def test_statutory_due_dates() -> None:
    """S3: 15 January (dibao, marginal 1), 10 July (marginal 2), 31 December (refunds), 15 January next year."""
    assert due_on(BatchKind.dibao_collective, 2010) == date(2010, 1, 15)
    assert due_on(BatchKind.marginal_instalment, 2010, 1) == date(2010, 1, 15)
    assert due_on(BatchKind.marginal_instalment, 2010, 2) == date(2010, 7, 10)
    assert due_on(BatchKind.refunds, 2010) == date(2010, 12, 31)
    assert due_on(BatchKind.new_entrants, 2010) == date(2011, 1, 15)
    assert default_head_count_date(2010) == date(2009, 10, 31)  # E7


def test_batches_take_the_lines_they_pay() -> None:
    """B§四(一)/(二): dibao paid collectively, marginal in instalments, each from all lines of its kind
    (a version's due is regular + adjustment lines); adjustments only from adjustment lines made since
    the version already paid."""
    assert takes_line(BatchKind.dibao_collective, "dibao", "regular")
    assert not takes_line(BatchKind.dibao_collective, "marginal", "regular")
    assert takes_line(BatchKind.marginal_instalment, "marginal", "regular")
    assert takes_line(BatchKind.marginal_instalment, "marginal", "adjustment", 1)
    assert not takes_line(BatchKind.marginal_instalment, "dibao", "adjustment", 1)
    assert takes_line(BatchKind.dibao_collective, "dibao", "adjustment", 1)
    assert not takes_line(BatchKind.adjustment, "dibao", "regular", None, 1)
    assert takes_line(BatchKind.adjustment, "dibao", "adjustment", 1, 1)
    assert takes_line(BatchKind.adjustment, "dibao", "adjustment", 2, 1)
    assert not takes_line(BatchKind.adjustment, "dibao", "adjustment", 1, 2)  # carried, already paid


def test_city_money_goes_through_district_finance_and_civil_affairs_into_the_fund() -> None:
    """B§三 / N§二: 市财政 → 县（区）财政 → 民政 → 医疗救助基金; back the same way reversed."""
    into = legs(Payer.city, True)
    assert [(d, c) for d, c, _ in into] == [
        (AccountType.city_finance, AccountType.district_finance),
        (AccountType.district_finance, AccountType.civil_affairs),
        (AccountType.civil_affairs, AccountType.medical_assistance_fund),
    ]
    back = legs(Payer.city, False)
    assert [(d, c) for d, c, _ in back] == [(c, d) for d, c, _ in reversed(into)]
    assert [(d, c) for d, c, _ in legs(Payer.central, True)] == [
        (AccountType.central_finance, AccountType.medical_assistance_fund)
    ]


@given(
    st.dictionaries(
        st.tuples(st.sampled_from(["210502", "210521"]), st.sampled_from(["city", "district_or_county"])), fen
    ),
    st.dictionaries(
        st.tuples(st.sampled_from(["210502", "210503"]), st.sampled_from(["city", "district_or_county"])), fen
    ),
)
def test_year_end_true_up_brings_funded_to_due(due, funded) -> None:
    """B§三: funded + true-up = due for every region and payer."""
    adjustments = true_up(due, funded)
    for key in set(due) | set(funded):
        assert funded.get(key, Decimal(0)) + adjustments.get(key, Decimal(0)) == due.get(key, Decimal(0))


def test_per_head_rate_of_identical_lines() -> None:
    """B§三: 3 lines totalling 378.00 price a head at 126.00."""
    assert per_head(Decimal("378.00"), 3) == Decimal("126.00")


@given(fen.filter(lambda amount: amount > 0))
def test_a_transfers_two_entries_sum_to_zero(amount) -> None:
    """S4: double entry."""
    debit, credit = entry_amounts(amount)
    assert debit + credit == 0
    assert debit < 0 < credit


def test_benxi_chart_guards_the_fund_accounts_and_civil_affairs() -> None:
    """S1, S2: the money-holding accounts may never go negative; finance appropriations may."""
    chart = {spec.code: spec for spec in chart_of_accounts("210500", known_districts("210500"))}
    assert known_districts("210500") == ("210502", "210503", "210504", "210505", "210521", "210522")
    assert chart["medical_assistance_fund:210500"].guarded
    assert chart["civil_affairs:210522"].guarded
    assert not chart["district_finance:210522"].guarded


def test_schedule_statuses() -> None:
    """S3 / E6: done (late or not), due, overdue; 12 monthly change reports on the 10th."""
    assert status_of(date(2010, 1, 15), date(2010, 1, 14), date(2010, 3, 1)) == (Status.done, False)
    assert status_of(date(2010, 1, 15), date(2010, 1, 16), date(2010, 3, 1)) == (Status.done, True)
    assert status_of(date(2010, 1, 15), None, date(2010, 1, 15)) == (Status.due, False)
    assert status_of(date(2010, 1, 15), None, date(2010, 1, 16)) == (Status.overdue, False)
    monthly = [d for d in deadlines(2010) if d.obligation == "monthly_change_report"]
    assert [d.due_on for d in monthly] == [date(2010, m, 10) for m in range(1, 13)]
    assert next(d for d in deadlines(2010) if d.obligation == "province_report").due_on == date(2011, 3, 31)
