"""Pure schedule rules: every statutory deadline of a city's cover year and its status (E6, S3, R1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Status(StrEnum):
    done = "done"
    due = "due"
    overdue = "overdue"


@dataclass(frozen=True, slots=True)
class Deadline:
    obligation: str
    month: int
    due_on: date
    clause: str
    description: str


def deadlines(year: int) -> list[Deadline]:
    """Every deadline that belongs to cover year ``year``, in date order."""
    items = [
        Deadline(
            "december_enrolment",
            0,
            date(year - 1, 12, 31),
            "本政办发〔2009〕130号 B§五(三)",
            "社保局于12月底前完成参保信息录入、证卡发放 (enrolment data and cards for the year)",
        ),
        Deadline(
            "dibao_collective",
            0,
            date(year, 1, 15),
            "本政办发〔2009〕130号 B§四(一)",
            "民政部门于1月15日前集体交纳低保对象资助参保资金",
        ),
        Deadline(
            "marginal_instalment",
            1,
            date(year, 1, 15),
            "本政办发〔2009〕130号 B§四(二)",
            "边缘对象资助资金第一次交纳 (1月15日前)",
        ),
        Deadline(
            "marginal_instalment",
            2,
            date(year, 7, 10),
            "本政办发〔2009〕130号 B§四(二)",
            "边缘对象资助资金第二次交纳 (7月10日前)",
        ),
        Deadline(
            "refunds", 0, date(year, 12, 31), "本政办发〔2009〕130号 B§四(四)", "对已提前缴费者年底一次性返还"
        ),
        Deadline(
            "year_end_settlement",
            0,
            date(year, 12, 31),
            "本政办发〔2009〕130号 B§三",
            "每年底市与县（区）财政统一结算",
        ),
        Deadline(
            "new_entrants",
            0,
            date(year + 1, 1, 15),
            "本政办发〔2009〕130号 B§四(三)",
            "新增对象资助参保资金年底核定，次年1月15日前统一交纳",
        ),
        Deadline(
            "province_report",
            0,
            date(year + 1, 3, 31),
            "民发〔2007〕156号 N§一",
            "省级每年3月底前报送参保人数、补助标准和财政补助资金到位情况 (R1)",
        ),
    ]
    items += [
        Deadline(
            "monthly_change_report",
            month,
            date(year, month, 10),
            "本政办发〔2009〕130号 B§四(三)",
            f"{month}月10日县（区）民政局向市社保局报变更信息 (E6)",
        )
        for month in range(1, 13)
    ]
    return sorted(items, key=lambda d: (d.due_on, d.obligation, d.month))


def status_of(due_on: date, done_on: date | None, today: date) -> tuple[Status, bool]:
    """done (and whether late), due (not yet past), or overdue."""
    if done_on is not None:
        return Status.done, done_on > due_on
    return (Status.due, False) if today <= due_on else (Status.overdue, False)
