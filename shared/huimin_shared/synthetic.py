"""Synthetic residents for tests, the demo and the benchmarks: pure, no I/O, deterministic by seed.

Each resident has a valid GB 11643 ID number (POLICY.md E1) whose area code is one of Benxi's six
district/county codes, unique within a seed. The mix, on 1 January of ``year``:

- age: about 15 % minors (< 18), 65 % adults, 20 % elderly (>= 60), with some born on 1 and 2
  January of the boundary years so the age-group edge is exercised;
- categories: about 70 % dibao, 30 % marginal, a few % certified in both at once;
- about 10 % join during the year (certified from a day after 1 January), about 8 % exit during
  the year (E5), a few % covered by employee insurance (E3), a few % already paid their own
  contribution before being certified (B§四(四)) — these are among the people joining in the year.

The area code in the ID number is where the person was first registered; in about one case in ten
it differs from ``region_code``, where they live now (POLICY.md, "Resident ID number").

It is a generator: a million residents never sit in a list.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from huimin_shared.areas import BENXI_DISTRICTS_AND_COUNTIES, name_of
from huimin_shared.idnumber import Sex, check_character

__all__ = [
    "BENXI_DISTRICTS_AND_COUNTIES",
    "SyntheticCertification",
    "SyntheticResident",
    "synthetic_residents",
]

_SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
)
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰凤云红梅海建国志文斌辉宇鑫淑珍德福春"
_COMMUNITIES = (
    "东明",
    "西城",
    "站前",
    "彩屯",
    "永丰",
    "桥头",
    "河沿",
    "新兴",
    "卧龙",
    "牛心台",
    "光明",
    "胜利",
)
_MAX_SEQUENCE_PER_DAY = 500  # three-digit sequence, half for each sex


@dataclass(frozen=True, slots=True)
class SyntheticCertification:
    category: str
    valid_from: date
    valid_to: date | None


@dataclass(frozen=True, slots=True)
class SyntheticResident:
    id_number: str
    name: str
    sex: Sex
    birth_date: date
    region_code: str  # residence
    community: str
    household: str
    employee_insurance_since: date | None  # E3: covered by employee insurance → excluded
    certifications: tuple[SyntheticCertification, ...]
    already_paid: bool  # paid their own contribution before being certified (refunds, B§四(四))


def _day_in(rng: random.Random, start: date, end: date) -> date:
    """A uniformly chosen day in [start, end]."""
    return start + timedelta(days=rng.randint(0, (end - start).days))


def _birth_date(rng: random.Random, year: int) -> date:
    roll = rng.random()
    if roll < 0.01:
        # Born on 1 or 2 January of a boundary year: 1 Jan (year-18) is 18 (adult) on the
        # reference date, 2 Jan (year-18) is still 17 (minor); likewise at 60.
        boundary = rng.choice((18, 60))
        return date(year - boundary + rng.choice((0, 0, -1, 1)), 1, rng.choice((1, 2)))
    reference = date(year, 1, 1)
    if roll < 0.16:  # minors: 0–17 on 1 January
        oldest, youngest = 17, 0
    elif roll < 0.80:  # adults: 18–59
        oldest, youngest = 59, 18
    else:  # elderly: 60–95
        oldest, youngest = 95, 60
    # age on 1 January is `a` for births in (1 Jan (year-a-1), 1 Jan (year-a)]
    earliest = date(reference.year - oldest - 1, 1, 2)
    latest = date(reference.year - youngest, 1, 1)
    born = _day_in(rng, earliest, latest)
    return min(born, date(year - 1, 12, 31))


def _name(rng: random.Random) -> str:
    given = rng.choice(_GIVEN) + (rng.choice(_GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(_SURNAMES) + given


def _certifications(
    rng: random.Random, year: int, joining: bool, born: date
) -> tuple[SyntheticCertification, ...]:
    year_start, year_end = date(year, 1, 1), date(year, 12, 31)
    first = "dibao" if rng.random() < 0.70 else "marginal"
    if joining:
        valid_from = _day_in(rng, date(year, 1, 2), year_end)
    else:  # never before the person was born
        valid_from = _day_in(rng, max(date(year - 6, 1, 1), born), year_start)
    exiting = rng.random() < 0.08
    valid_to = _day_in(rng, max(valid_from, year_start), year_end) if exiting else None
    certifications = [SyntheticCertification(first, valid_from, valid_to)]
    if rng.random() < 0.03:  # certified in both categories at once
        other = "marginal" if first == "dibao" else "dibao"
        certifications.append(SyntheticCertification(other, _day_in(rng, valid_from, year_end), None))
    return tuple(certifications)


def synthetic_residents(
    count: int,
    *,
    year: int = 2010,
    seed: int = 0,
    regions: Sequence[str] = BENXI_DISTRICTS_AND_COUNTIES,
) -> Iterator[SyntheticResident]:
    """``count`` residents for cover year ``year``, the same ones for the same arguments."""
    if count < 0:
        raise ValueError("count is not negative")
    if not regions:
        raise ValueError("give at least one region code")
    rng = random.Random(f"huimin-synthetic:{seed}:{year}")
    used: dict[tuple[str, date, Sex], int] = {}
    household_count = 0
    household = community = region = ""
    community_index = 0
    for _ in range(count):
        # about three in ten share the previous resident's household (and so its region and community)
        shares_household = bool(household) and rng.random() < 0.3
        if not shares_household:
            region = rng.choice(regions)
            community_index = rng.randrange(len(_COMMUNITIES))
            community = f"{name_of(region)}{_COMMUNITIES[community_index]}社区"
            household_count += 1
            household = f"{region}{community_index:02d}{household_count:08d}"
        area = region if rng.random() < 0.9 else rng.choice(BENXI_DISTRICTS_AND_COUNTIES)
        sex = Sex.male if rng.random() < 0.5 else Sex.female
        born = _birth_date(rng, year)
        while True:  # the next free sequence number for this area, day and sex
            key = (area, born, sex)
            taken = used.get(key, 0)
            if taken < _MAX_SEQUENCE_PER_DAY:
                used[key] = taken + 1
                break
            born -= timedelta(days=1)
        sequence = 2 * taken + (1 if sex is Sex.male else 0)
        first_17 = f"{area}{born:%Y%m%d}{sequence:03d}"
        id_number = first_17 + check_character(first_17)

        joining = rng.random() < 0.10
        employee_insurance_since = None
        if rng.random() < 0.03:
            employee_insurance_since = _day_in(rng, date(year - 10, 1, 1), date(year, 12, 31))
        yield SyntheticResident(
            id_number=id_number,
            name=_name(rng),
            sex=sex,
            birth_date=born,
            region_code=region,
            community=community,
            household=household,
            employee_insurance_since=employee_insurance_since,
            certifications=_certifications(rng, year, joining, born),
            already_paid=joining and rng.random() < 0.3,
        )
