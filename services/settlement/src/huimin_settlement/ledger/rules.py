"""Pure ledger rules: the chart of accounts, sign conventions, period of a value date (S1, S2, S4)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from huimin_shared import areas

# Namespace of every id the ledger derives (uuid5), so a re-run finds what an earlier run wrote.
LEDGER_NAMESPACE = uuid.UUID("6f1f5a52-2c39-4c55-9a8e-5e1b0c8d7a10")
CENTRAL_AREA = "100000"  # GB/T 2260 code for the nation, owner of the central finance account


class AccountType(StrEnum):
    central_finance = "central_finance"
    province_finance = "province_finance"
    city_finance = "city_finance"
    district_finance = "district_finance"  # 县（区）财政局, districts and counties alike
    civil_affairs = "civil_affairs"  # 县（区）民政部门
    medical_assistance_fund = "medical_assistance_fund"  # 城市医疗救助基金专账 (N§二)
    resident_insurance_fund = "resident_insurance_fund"  # 城镇居民基本医疗保险基金专账 (N§二)
    external_payee = "external_payee"  # residents paid back a contribution (B§四(四))
    refund_suspense = "refund_suspense"  # refunds the bank returned or that wait for an account (B§四(四))


class Department(StrEnum):
    finance = "finance"
    civil_affairs = "civil_affairs"
    social_insurance = "social_insurance"
    external = "external"


class TransferState(StrEnum):
    pending = "pending"
    posted = "posted"
    voided = "voided"


class TransferCode(StrEnum):
    """What a transfer is for; each code names the clause that makes it happen."""

    pre_allocation = "pre_allocation"  # B§三 市财政预拨
    local_share = "local_share"  # B§三 县（区）财政拨付到同级民政部门
    fund_deposit = "fund_deposit"  # N§二 民政 → 城市医疗救助基金专账
    central_transfer = "central_transfer"  # S1 中央专项转移支付
    province_transfer = "province_transfer"  # province share of the subsidy
    assistance_payment = "assistance_payment"  # N§二 医疗救助基金 → 居民医保基金
    refund = "refund"  # B§四(四) 年底一次性返还
    year_end_settlement = "year_end_settlement"  # B§三 每年底市与县（区）财政统一结算
    reversal = "reversal"  # undoes a posted transfer
    adjustment = "adjustment"  # correction in the open period of something in a closed one
    manual = "manual"


CITATIONS: dict[TransferCode, str] = {
    TransferCode.pre_allocation: "本政办发〔2009〕130号 B§三",
    TransferCode.local_share: "本政办发〔2009〕130号 B§三",
    TransferCode.fund_deposit: "民发〔2007〕156号 N§二",
    TransferCode.central_transfer: "民发〔2007〕156号 N§二",
    TransferCode.province_transfer: "民发〔2007〕156号 N§二",
    TransferCode.assistance_payment: "民发〔2007〕156号 N§二",
    TransferCode.refund: "本政办发〔2009〕130号 B§四(四)",
    TransferCode.year_end_settlement: "本政办发〔2009〕130号 B§三",
}


@dataclass(frozen=True, slots=True)
class AccountSpec:
    type: AccountType
    area_code: str
    department: Department
    guarded: bool
    name: str

    @property
    def code(self) -> str:
        return account_code(self.type, self.area_code)


def account_code(account_type: AccountType | str, area_code: str) -> str:
    return f"{AccountType(account_type).value}:{area_code}"


def chart_of_accounts(city: str, districts: tuple[str, ...]) -> list[AccountSpec]:
    """The accounts a city's ledger needs (S1, S2).

    Finance accounts stand for appropriations from a budget and may run negative; the two fund
    special accounts, civil affairs and the payee account hold real money and are guarded.
    """
    province = areas.province_of(city)
    specs = [
        AccountSpec(AccountType.central_finance, CENTRAL_AREA, Department.finance, False, "中央财政"),
        AccountSpec(
            AccountType.province_finance,
            province,
            Department.finance,
            False,
            f"{areas.name_of(province)}财政厅",
        ),
        AccountSpec(
            AccountType.city_finance, city, Department.finance, False, f"{areas.name_of(city)}财政局"
        ),
        AccountSpec(
            AccountType.medical_assistance_fund,
            city,
            Department.finance,
            True,
            f"{areas.name_of(city)}城市医疗救助基金专账",
        ),
        AccountSpec(
            AccountType.resident_insurance_fund,
            city,
            Department.social_insurance,
            True,
            f"{areas.name_of(city)}城镇居民基本医疗保险基金专账",
        ),
        AccountSpec(AccountType.external_payee, city, Department.external, True, "返还居民（外部收款人）"),
        AccountSpec(AccountType.refund_suspense, city, Department.civil_affairs, True, "返还退回暂挂户"),
    ]
    for district in districts:
        specs.append(
            AccountSpec(
                AccountType.district_finance,
                district,
                Department.finance,
                False,
                f"{areas.name_of(district)}财政局",
            )
        )
        specs.append(
            AccountSpec(
                AccountType.civil_affairs,
                district,
                Department.civil_affairs,
                True,
                f"{areas.name_of(district)}民政局",
            )
        )
    return specs


def known_districts(city: str) -> tuple[str, ...]:
    """The districts and counties under ``city`` that the area table knows, in code order."""
    return tuple(
        sorted(
            code
            for code, area in areas.AREAS.items()
            if area.level in (areas.AreaLevel.district, areas.AreaLevel.county)
            and areas.city_of(code) == city
        )
    )


def entry_amounts(amount: Decimal) -> tuple[Decimal, Decimal]:
    """Signed entries of a posted transfer: the debit side loses, the credit side gains; they sum to zero."""
    return -amount, amount


def available(posted: Decimal, pending_debits: Decimal) -> Decimal:
    """What a guarded account can still pay: its posted balance less what pending transfers reserve."""
    return posted - pending_debits


def period_of(value_date: date) -> int:
    """The accounting period (calendar year, Asia/Shanghai) a value date falls in."""
    return value_date.year


def derived_transfer_id(*parts: object) -> uuid.UUID:
    """A transfer id derived from what it is (batch and line key, funding run and leg): reruns find it."""
    return uuid.uuid5(LEDGER_NAMESPACE, "/".join(str(part) for part in parts))


EARLIEST_VALUE_DATE = date(2000, 1, 1)


def latest_value_date(today: date) -> date:
    """One year after ``today`` (29 February → 28 February of the next year)."""
    try:
        return today.replace(year=today.year + 1)
    except ValueError:
        return today.replace(year=today.year + 1, day=28)


def value_date_problem(value: date, today: date) -> str | None:
    """Why a booking date is refused, or None: before 2000-01-01 or more than a year after today."""
    if value < EARLIEST_VALUE_DATE:
        return f"{value.isoformat()} is before {EARLIEST_VALUE_DATE.isoformat()}"
    latest = latest_value_date(today)
    if value > latest:
        return f"{value.isoformat()} is more than one year after today ({today.isoformat()}): at most {latest.isoformat()}"
    return None
