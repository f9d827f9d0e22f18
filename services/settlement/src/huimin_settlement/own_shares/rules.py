"""Pure own-share rules (S3, B§四(二)): whose marginal instalment line is paid, and how long the others wait."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

# Column names a social-insurance export may use for each field (Chinese first), case-insensitive.
COLUMNS: dict[str, tuple[str, ...]] = {
    "id_number": ("身份证号", "公民身份号码", "身份证号码", "id_number"),
    "region_code": ("区划代码", "参保地区划", "region_code"),
    "cover_year": ("缴费年度", "年度", "cover_year"),
    "amount": ("缴费金额", "金额", "金额(元)", "amount"),
    "paid_on": ("缴费日期", "paid_on"),
    "reference": ("缴费流水号", "流水号", "reference"),
}
REQUIRED = ("id_number", "region_code", "cover_year", "amount", "paid_on")
CLAUSE = "本政办发〔2009〕130号 B§四(二)"


def field_of(header: str) -> str | None:
    """The field a column header names, or None for a column we do not read."""
    wanted = header.strip().lower()
    for field, names in COLUMNS.items():
        if wanted in (name.lower() for name in names):
            return field
    return None


def own_share_paid(paid_dates: Iterable[date], paid_by: date) -> bool:
    """S3: civil affairs pays a marginal person's subsidy only "after the person has paid their own share":
    some payment for the cover year is recorded on or before the batch's date. (The SQL of the gate,
    ``OwnShareRepository.withhold``, mirrors this.)"""
    return any(paid_on <= paid_by for paid_on in paid_dates)


def days_waiting(since: date, on: date) -> int:
    """Whole days a withheld line has waited since the instalment it missed was due (0 before that)."""
    return max(0, (on - since).days)
