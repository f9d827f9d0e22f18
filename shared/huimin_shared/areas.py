"""Administrative area codes (GB/T 2260): names, levels and what lies under what.

Geography only; which areas pay what share is policy and lives in the premium packs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class AreaLevel(StrEnum):
    province = "province"
    city = "city"
    district = "district"  # 市辖区
    county = "county"  # 县 / 自治县


@dataclass(frozen=True, slots=True)
class Area:
    code: str
    name: str
    level: AreaLevel

    @property
    def parent_code(self) -> str | None:
        return parent_code(self.code)


AREA_CODE_PATTERN = re.compile(r"^[1-9]\d{5}$")

_KNOWN = [
    Area("210000", "辽宁省", AreaLevel.province),
    Area("210500", "本溪市", AreaLevel.city),
    Area("210502", "平山区", AreaLevel.district),
    Area("210503", "溪湖区", AreaLevel.district),
    Area("210504", "明山区", AreaLevel.district),
    Area("210505", "南芬区", AreaLevel.district),
    Area("210521", "本溪满族自治县", AreaLevel.county),
    Area("210522", "桓仁满族自治县", AreaLevel.county),
    # A western-province city, so the national pack's central share can be exercised.
    Area("510000", "四川省", AreaLevel.province),
    Area("510100", "成都市", AreaLevel.city),
    Area("510104", "锦江区", AreaLevel.district),
    Area("510121", "金堂县", AreaLevel.county),
]
AREAS: dict[str, Area] = {area.code: area for area in _KNOWN}

BENXI_CITY = "210500"
BENXI_DISTRICTS_AND_COUNTIES = ("210502", "210503", "210504", "210505", "210521", "210522")


class UnknownArea(ValueError):
    pass


def is_area_code(code: str) -> bool:
    return bool(AREA_CODE_PATTERN.match(code))


def level_of(code: str) -> AreaLevel:
    """The level a code's shape implies: NN0000 a province, NNNN00 a city, else a district or county.

    Codes 01–20 under a city are its districts (市辖区); 21 and above are counties (GB/T 2260).
    """
    if not is_area_code(code):
        raise UnknownArea(f"{code!r} is not a six-digit area code")
    if code in AREAS:
        return AREAS[code].level
    if code.endswith("0000"):
        return AreaLevel.province
    if code.endswith("00"):
        return AreaLevel.city
    return AreaLevel.district if int(code[4:]) <= 20 else AreaLevel.county


def parent_code(code: str) -> str | None:
    level = level_of(code)
    if level is AreaLevel.province:
        return None
    if level is AreaLevel.city:
        return code[:2] + "0000"
    return code[:4] + "00"


def city_of(code: str) -> str:
    if level_of(code) is AreaLevel.province:
        raise UnknownArea(f"{code} is a province, not in one city")
    return code[:4] + "00"


def province_of(code: str) -> str:
    level_of(code)
    return code[:2] + "0000"


def contains(outer: str, inner: str) -> bool:
    """Whether ``inner`` is ``outer`` or lies under it (a region claim covers the codes below it)."""
    level = level_of(outer)
    if level is AreaLevel.province:
        return inner[:2] == outer[:2]
    if level is AreaLevel.city:
        return inner[:4] == outer[:4]
    return inner == outer


def prefix_of(code: str) -> str:
    """The code's significant prefix: the LIKE pattern that finds every code under it."""
    level = level_of(code)
    if level is AreaLevel.province:
        return code[:2]
    if level is AreaLevel.city:
        return code[:4]
    return code


def name_of(code: str) -> str:
    area = AREAS.get(code)
    return area.name if area else code
