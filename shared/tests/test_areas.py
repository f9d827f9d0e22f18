"""Area codes and what lies under what (POLICY.md P3 codes; region claims)."""

import pytest

from huimin_shared import areas
from huimin_shared.areas import AreaLevel


@pytest.mark.parametrize(
    ("code", "level"),
    [("210000", AreaLevel.province), ("210500", AreaLevel.city), ("210502", AreaLevel.district),
     ("210505", AreaLevel.district), ("210521", AreaLevel.county), ("210522", AreaLevel.county)],
)  # fmt: skip
def test_benxi_codes_have_their_levels(code: str, level: AreaLevel) -> None:
    """P3: four districts 210502–210505 and two counties 210521, 210522 under the city 210500."""
    assert areas.level_of(code) is level


def test_a_city_covers_its_districts_and_counties_but_not_its_neighbours() -> None:
    assert areas.contains("210500", "210521")
    assert areas.contains("210000", "210502")
    assert areas.contains("210502", "210502")
    assert not areas.contains("210502", "210503")
    assert not areas.contains("210500", "210602")


def test_parents_climb_to_the_province() -> None:
    assert areas.parent_code("210522") == "210500"
    assert areas.parent_code("210500") == "210000"
    assert areas.parent_code("210000") is None
    assert areas.city_of("210504") == "210500"


def test_a_malformed_code_is_refused() -> None:
    with pytest.raises(areas.UnknownArea):
        areas.level_of("21050")
