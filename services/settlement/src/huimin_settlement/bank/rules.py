"""Pure bank-file rules: the payment instruction CSV (Chinese headers) and reading confirmations."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from huimin_shared.sheets import csv_bytes

INSTRUCTION_HEADERS = (
    "指令编号",
    "批次编号",
    "付款账户",
    "付款户名",
    "收款账户",
    "收款户名",
    "金额(元)",
    "币种",
    "区划代码",
    "资助类别",
    "出资层级",
    "用途",
    "状态",
    # Platform codes (huimin_policy.codes, docs/codes.md), last so the columns before keep their places. An
    # instruction sums a region's category over every age group, so it carries no psn_type.
    "险种类型",
    "医疗救助人员类别",
    "付款基金编码",
    "收款基金编码",
)
CONFIRMATION_HEADERS = ("指令编号", "结果", "银行流水号", "说明")
SUCCESS = {"成功", "success", "posted", "ok"}
FAILURE = {"失败", "failed", "failure", "rejected", "退回"}
ENCODINGS = {"utf-8": "utf-8-sig", "gb18030": "gb18030"}


def instruction_csv(rows: Iterable[Sequence[str]], encoding: str) -> bytes:
    """CSV with Chinese headers; utf-8 carries a BOM so spreadsheet programs read it, gb18030 suits GBK tools.
    Formula-safe: account names and purposes that begin with = + - @ are written as text."""
    return csv_bytes(INSTRUCTION_HEADERS, rows, encoding=ENCODINGS[encoding])


def decode(raw: bytes) -> str | None:
    """UTF-8 (with or without BOM) first, then GB18030 (a superset of GBK and GB2312); None when the
    bytes are neither."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return None


@dataclass(frozen=True, slots=True)
class Confirmation:
    row: int
    transfer_id: uuid.UUID
    succeeded: bool
    bank_reference: str
    note: str


def read_confirmations(text: str) -> tuple[list[Confirmation], list[tuple[str, str]]]:
    """Rows of a confirmation file and, for each bad row, (field, reason).

    A file that is not CSV the reader can parse (a field over the csv module's limit, a NUL byte) is one
    problem on ``file``. A transfer listed twice with different results (成功 and 失败) is refused, both
    rows named: the bank cannot have paid and refused the same instruction (S4)."""
    try:
        return _read_confirmations(text)
    except csv.Error as exc:
        return [], [("file", f"not a readable CSV file: {exc}")]


def _read_confirmations(text: str) -> tuple[list[Confirmation], list[tuple[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    problems: list[tuple[str, str]] = []
    missing = [h for h in CONFIRMATION_HEADERS[:2] if h not in (reader.fieldnames or [])]
    if missing:
        return [], [
            ("file", f"missing columns: {', '.join(missing)} (expected {', '.join(CONFIRMATION_HEADERS)})")
        ]
    found: list[Confirmation] = []
    first_seen: dict[uuid.UUID, Confirmation] = {}
    for number, record in enumerate(reader, start=2):
        raw_id = (record.get("指令编号") or "").strip()
        result = (record.get("结果") or "").strip().lower()
        try:
            transfer_id = uuid.UUID(raw_id)
        except ValueError:
            problems.append((f"file.row{number}.指令编号", f"{raw_id!r} is not an instruction number"))
            continue
        if result not in SUCCESS | FAILURE:
            problems.append((f"file.row{number}.结果", f"{result!r} is neither 成功 nor 失败"))
            continue
        confirmation = Confirmation(
            number,
            transfer_id,
            result in SUCCESS,
            (record.get("银行流水号") or "").strip(),
            (record.get("说明") or "").strip(),
        )
        earlier = first_seen.setdefault(transfer_id, confirmation)
        if earlier.succeeded != confirmation.succeeded:
            problems.append(
                (
                    f"file.row{number}.结果",
                    f"instruction {transfer_id} is listed at row {earlier.row} as "
                    f"{'成功' if earlier.succeeded else '失败'} and at row {number} as "
                    f"{'成功' if confirmation.succeeded else '失败'}",
                )
            )
            continue
        found.append(confirmation)
    if not found and not problems:
        problems.append(("file", "no rows"))
    return found, problems
