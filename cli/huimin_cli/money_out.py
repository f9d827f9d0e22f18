"""The year's own-share and per-person refund steps (issue 16.1–2), played through the public APIs.

Social insurance sends what residents paid of their own share; a marginal instalment pays only them
(S3) and a carry batch pays the late payers; refunds go to each person's approved payee account, the
bank's answers are posted per person, a returned refund waits in suspense and is paid again to the
corrected account (B§四(四)). Every step looks first at what settlement holds, so a rerun resumes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from huimin_cli.year_base import CITY, YearError, _detail
from huimin_shared.auth import Role

if TYPE_CHECKING:
    from huimin_cli.year import Year


def account_of(id_number: str, attempt: int = 1) -> str:
    """A made-up 19-digit account for the demo's residents (the first one the bank returns, if asked)."""
    digest = hashlib.sha256(f"{id_number}:{attempt}".encode()).hexdigest()
    return "6217" + str(int(digest, 16))[:15]


async def marginal_people(year: Year) -> list[dict[str, Any]]:
    """The marginal lines of the annual assessment (what the social-insurance system enrolled)."""
    annual = await year.assessment("annual")
    response = await year.call(
        "premium",
        "GET",
        f"/v1/assessments/{annual['id']}/versions/{annual['version']}/lines",
        {**year.staff.social_insurance, "Accept": "application/x-ndjson"},
        params={"category": "marginal"},
    )
    return [json.loads(line) for line in response.text.splitlines() if line.strip()]


async def record(year: Year, payments: list[dict[str, Any]]) -> None:
    for start in range(0, len(payments), 5000):
        await year.json(
            "settlement",
            "POST",
            "/v1/own-share-payments",
            year.staff.social_insurance,
            json={"payments": payments[start : start + 5000]},
        )


def payment(line: dict[str, Any], cover_year: int, paid_on: date) -> dict[str, Any]:
    return {
        "id_number": line["id_number"],
        "region_code": line["region_code"],
        "cover_year": cover_year,
        "amount": line["resident_pays"],
        "paid_on": paid_on.isoformat(),
    }


async def own_shares_paid(year: Year) -> None:
    """Social insurance sends the own shares paid in December (个人缴费), but the late payers' (S3)."""
    lines = await marginal_people(year)
    on = date(year.year - 1, 12, 20)
    await record(
        year,
        [
            payment(line, year.year, on)
            for line in lines
            if line["id_number"] not in year.late_payers and line["resident_pays"] != "0.00"
        ],
    )


async def carry(year: Year, instalment: int, on: date) -> None:
    """The late payers pay; the people instalment ``instalment`` left out and who have paid by ``on`` are
    paid by a carry batch (补发), approved by a second finance officer and executed on ``on``."""
    late = {
        line["id_number"]: line
        for line in await marginal_people(year)
        if line["id_number"] in year.late_payers
    }
    await record(
        year,
        [
            payment(line, year.year, year.late_payers[number])
            for number, line in late.items()
            if year.late_payers[number] <= on
        ],
    )
    params = {"city": CITY, "year": year.year, "kind": "marginal_instalment"}
    items = (await year.json("settlement", "GET", "/v1/batches", year.staff.finance_maker, params=params))[
        "items"
    ]
    regular = next(
        (
            b
            for b in items
            if b["instalment"] == instalment and b.get("carry_no", 0) == 0 and b["state"] != "cancelled"
        ),
        None,
    )
    if regular is None:
        return
    waiting = await year.json(
        "settlement",
        "GET",
        "/v1/own-shares/waiting",
        year.staff.civil_affairs,
        params={"city": CITY, "year": year.year, "instalment": instalment, "on": on.isoformat()},
    )
    year.result.own_shares[f"waiting:{instalment}:{on.isoformat()}"] = waiting
    carried = [
        b
        for b in items
        if b["instalment"] == instalment and b.get("carry_no", 0) and b["state"] != "cancelled"
    ]
    if carried:
        batch = await year.json(
            "settlement", "GET", f"/v1/batches/{carried[0]['id']}", year.staff.finance_maker
        )
    else:
        response = await year.call(
            "settlement",
            "POST",
            "/v1/own-shares/carry-batches",
            year.staff.finance_maker,
            json={"batch_id": regular["id"], "paid_by": on.isoformat()},
            ok=(201, 409),
        )
        if response.status_code == 409:
            if response.json().get("nothing_to_carry"):
                return
            raise_for(year, response)
        batch = await year.json(
            "settlement", "GET", f"/v1/batches/{response.json()['batch_id']}", year.staff.finance_maker
        )
    if batch["state"] == "prepared":
        batch = await year.json(
            "settlement", "POST", f"/v1/batches/{batch['id']}/approve", year.staff.finance_checker, json={}
        )
    executed = await year.execute(batch, on, record=False)
    year.result.batches[f"marginal_instalment:{instalment}:carry{executed['carry_no']}"] = executed


def raise_for(year: Year, response: Any) -> None:
    raise YearError(f"settlement answered {response.status_code}: {_detail(response)}")


async def ensure_payee(year: Year, line: dict[str, Any], attempt: int) -> str:
    """The person's approved payee account: proposed by their community officer, approved by civil affairs
    (maker-checker). Attempt 2 is the corrected account after a return."""
    number = line["id_number"]
    account = account_of(number, attempt)
    found = await year.call(
        "settlement", "GET", f"/v1/payees/{number}", year.staff.civil_affairs, ok=(200, 404)
    )
    if found.status_code == 200 and (found.json().get("active") or {}).get("account", "").endswith(
        account[-4:]
    ):
        return account
    officer = year.staff.headers(
        Role.community_officer, f"officer-{line['region_code']}", line["region_code"]
    )
    body = {
        "region_code": line["region_code"],
        "kind": "social_security_card" if attempt == 1 else "bank_account",
        "account_number": account,
        "bank_name": "本溪市商业银行",
        "holder_name": f"居民{number[-4:]}",
        "reason": "首次登记" if attempt == 1 else "原账户已销户，更正",
    }
    proposed = await year.json("settlement", "POST", f"/v1/payees/{number}/proposals", officer, json=body)
    await year.json(
        "settlement",
        "POST",
        f"/v1/payee-proposals/{proposed['id']}/approve",
        year.staff.civil_affairs,
        json={},
    )
    return account


async def bank_round(year: Year, batch_id: str, answers: Mapping[str, str], on: date) -> None:
    """The bank pays (or returns) every instruction in the file; its answer is imported."""
    file = await year.call(
        "settlement",
        "GET",
        f"/v1/refunds/{batch_id}/bank-file",
        year.staff.finance_maker,
        params={"encoding": "gb18030"},
    )
    rows = list(csv.DictReader(io.StringIO(file.content.decode("gb18030"))))
    if not rows:
        return
    text = "指令编号,结果,银行流水号,说明\r\n" + "".join(
        f"{row['指令编号']},{answers.get(row['收款账号'], '成功')},BANK{year.year}{n:06d},\r\n"
        for n, row in enumerate(rows)
    )
    files = {"file": ("confirmations.csv", text.encode("gb18030"), "text/csv")}
    await year.json(
        "settlement",
        "POST",
        "/v1/refunds/confirmations",
        year.staff.finance_maker,
        files=files,
        params={"value_date": on.isoformat()},
    )


async def batch_lines(year: Year, batch_id: str) -> list[dict[str, Any]]:
    """Every line of the batch, page after page (keyset on the line number)."""
    lines: list[dict[str, Any]] = []
    after: int | None = None
    while True:
        params: dict[str, Any] = {"limit": 10_000} | ({"after": after} if after is not None else {})
        page = await year.json(
            "settlement", "GET", f"/v1/batches/{batch_id}/lines", year.staff.finance_maker, params=params
        )
        lines.extend(page["items"])
        after = page["next_after"]
        if after is None:
            return lines


async def refunds_per_person(year: Year, batch: dict[str, Any]) -> None:
    """One instruction per person to their payee account; the bank returns the first payment of the people
    in ``year.returned``; their corrected accounts are approved and the refund is paid again."""
    y = year.year
    lines = await batch_lines(year, batch["id"])
    accounts = {line["id_number"]: await ensure_payee(year, line, 1) for line in lines}
    await year.json(
        "settlement",
        "POST",
        f"/v1/refunds/{batch['id']}/instructions",
        year.staff.finance_maker,
        json={"value_date": date(y, 12, 20).isoformat()},
    )
    returned = {accounts[n]: "退回" for n in year.returned if n in accounts}
    await bank_round(year, batch["id"], returned, date(y, 12, 21))
    for line in lines:
        if line["id_number"] in year.returned:
            await ensure_payee(year, line, 2)
    retried = await year.json(
        "settlement",
        "POST",
        f"/v1/refunds/{batch['id']}/retries",
        year.staff.finance_maker,
        json={"value_date": date(y, 12, 22).isoformat()},
    )
    await bank_round(year, batch["id"], {}, date(y, 12, 22))
    instructions = await year.json(
        "settlement", "GET", f"/v1/refunds/{batch['id']}/instructions", year.staff.finance_maker
    )
    year.result.own_shares["refund_instructions"] = {"retry": retried, **instructions}
