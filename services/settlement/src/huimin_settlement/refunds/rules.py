"""Pure rules of per-person refund files (B§四(四)): the bank's instruction CSV, one row per person."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from huimin_shared.idnumber import mask
from huimin_shared.sheets import csv_bytes

STATES = ("sent", "paid", "returned", "awaiting_account")
HEADERS = (
    "指令编号",
    "批次编号",
    "次数",
    "收款人",
    "证件号码",
    "账户类型",
    "收款账号",
    "开户行",
    "金额(元)",
    "币种",
    "区划代码",
    "用途",
)
KIND_NAMES = {"bank_account": "银行账户", "social_security_card": "社会保障卡金融账户"}
ENCODINGS = {"utf-8": "utf-8-sig", "gb18030": "gb18030"}


def file_row(row: Any, batch: Any) -> tuple[str, ...]:
    """The bank needs the full account number to pay; the ID number stays masked."""
    return (
        str(row.id),
        str(batch.id),
        str(row.attempt),
        row.holder_name or "",
        mask(row.id_number),
        KIND_NAMES.get(row.kind or "", ""),
        row.account_number or "",
        row.bank_name or "",
        str(row.amount),
        "CNY",
        row.region_code,
        f"{batch.year}年城镇居民医保个人缴费资助返还 B§四(四)",
    )


def instruction_csv(rows: Iterable[Sequence[str]], encoding: str) -> bytes:
    return csv_bytes(HEADERS, rows, encoding=ENCODINGS[encoding])
