"""Charts as pictures: the bars are the figures, to scale."""

from decimal import Decimal

import pytest

from huimin_portal.charts import Row, bar_chart, nice_step


@pytest.mark.parametrize(
    ("maximum", "step"),
    [
        (Decimal("763.00"), Decimal(200)),
        (Decimal("0.5"), Decimal("0.2")),
        (Decimal(12), Decimal(5)),
        (Decimal(0), Decimal(1)),
    ],
)
def test_axis_steps_are_one_two_or_five_times_a_power_of_ten(maximum: Decimal, step: Decimal) -> None:
    assert nice_step(maximum) == step


def test_stacked_parts_sit_end_to_end_and_are_as_long_as_their_amounts() -> None:
    """A district's subsidy by payer (B§三 city 7 : district 3): 105.00 + 45.00 drawn as one bar."""
    chart = bar_chart(
        [
            Row("平山区", (Decimal("105.00"), Decimal("45.00"))),
            Row("本溪县", (Decimal("20.00"), Decimal("20.00"))),
        ],
        ["市", "区县"],
        stacked=True,
    )
    city, district, county_city, county_district = chart.rects
    assert district.x == pytest.approx(city.x + city.width)
    assert city.width / district.width == pytest.approx(105 / 45)
    assert (county_city.width + county_district.width) / (city.width + district.width) == pytest.approx(
        40 / 150
    )
    assert city.y == district.y != county_city.y
    assert "105.00" in city.title
    assert chart.ticks[-1].x >= district.x + district.width  # the axis covers the longest bar


def test_grouped_bars_start_together_one_under_the_other() -> None:
    chart = bar_chart(
        [Row("平山区", (Decimal("150.00"), Decimal("100.00")))], ["应拨", "实拨"], stacked=False
    )
    due, moved = chart.rects
    assert due.x == moved.x
    assert moved.y > due.y
    assert moved.width / due.width == pytest.approx(100 / 150)
    assert [name for _, name in chart.legend] == ["应拨", "实拨"]


def test_an_empty_chart_still_draws_its_axis() -> None:
    chart = bar_chart([], ["应拨"], stacked=False)
    assert chart.rects == ()
    assert chart.ticks[0].label == "0"


def test_counts_of_people_are_never_cut_into_fractions_on_the_axis() -> None:
    chart = bar_chart(
        [Row("2014-10", (Decimal(1), Decimal(0)))], ["新增", "退出"], stacked=False, whole_numbers=True
    )
    assert [tick.label for tick in chart.ticks] == ["0", "1"]
