"""Payee accounts (B§四(四)): one officer proposes a resident's account, another approves it (maker-checker);
every step audited; the number never leaves settlement except in the bank's payment file."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_settlement.db import savepoint
from huimin_settlement.payees.models import PayeeAccount
from huimin_settlement.payees.repository import PayeeRepository
from huimin_settlement.payees.rules import mask_account
from huimin_settlement.payees.schemas import PayeeProposalIn
from huimin_shared import areas
from huimin_shared.auth import Principal
from huimin_shared.errors import Conflict, FieldProblem, Forbidden, NotFound, ValidationFailed
from huimin_shared.idnumber import mask


def account_out(account: PayeeAccount) -> dict[str, Any]:
    return {
        "id": account.id,
        "id_number": mask(account.id_number),
        "region_code": account.region_code,
        "kind": account.kind,
        "account": mask_account(account.account_number),
        "bank_name": account.bank_name,
        "holder_name": account.holder_name,
        "state": account.state,
        "proposed_by": account.proposed_by,
        "proposed_at": account.proposed_at,
        "decided_by": account.decided_by,
        "decided_at": account.decided_at,
    }


@savepoint
async def propose(
    session: AsyncSession, id_number: str, body: PayeeProposalIn, principal: Principal
) -> PayeeAccount:
    if not areas.is_area_code(body.region_code) or areas.level_of(body.region_code) not in (
        areas.AreaLevel.district,
        areas.AreaLevel.county,
    ):
        raise ValidationFailed(
            "not a district or county",
            errors=[FieldProblem(field="body.region_code", reason="not a known district or county")],
        )
    principal.ensure_covers(body.region_code)
    try:
        async with session.begin_nested():
            account = await PayeeRepository(session).insert(
                {
                    "id_number": id_number,
                    "region_code": body.region_code,
                    "kind": body.kind,
                    "account_number": body.account_number,
                    "bank_name": body.bank_name,
                    "holder_name": body.holder_name,
                    "state": "proposed",
                    "reason": body.reason,
                    "proposed_by": principal.subject,
                }
            )
    except IntegrityError as exc:
        raise Conflict(
            f"{mask(id_number)} already has a proposed account change waiting for approval; approve or "
            "reject it first"
        ) from exc
    await PayeeRepository(session).event(
        account, "proposed", principal.subject, f"{account.kind} {mask_account(account.account_number)}"
    )
    return account


@savepoint
async def decide(
    session: AsyncSession, account_id: int, approve: bool, reason: str | None, principal: Principal
) -> PayeeAccount:
    account = await PayeeRepository(session).get(account_id, for_update=True)
    if account is None:
        raise NotFound(f"no payee account {account_id}")
    principal.ensure_covers(account.region_code)
    if account.state != "proposed":
        raise Conflict(f"payee account {account_id} is {account.state}; only a proposed change is decided")
    if account.proposed_by == principal.subject:
        raise Forbidden(
            f"payee account {account_id} was proposed by {principal.subject}; another officer decides"
        )
    if approve:
        current = await PayeeRepository(session).of_person(account.id_number, "active")
        if current is not None:
            await PayeeRepository(session).set_state(current.id, "active", "superseded", principal.subject)
            await PayeeRepository(session).event(
                current, "superseded", principal.subject, f"by account {account.id}"
            )
        await PayeeRepository(session).set_state(account.id, "proposed", "active", principal.subject)
    else:
        await PayeeRepository(session).set_state(account.id, "proposed", "rejected", principal.subject)
    await PayeeRepository(session).event(
        account, "approved" if approve else "rejected", principal.subject, reason
    )
    decided = await PayeeRepository(session).get(account.id)
    if decided is None:
        raise RuntimeError("the decided account is missing")
    return decided


async def person(session: AsyncSession, id_number: str, principal: Principal) -> dict[str, Any]:
    active = await PayeeRepository(session).of_person(id_number, "active")
    proposed = await PayeeRepository(session).of_person(id_number, "proposed")
    known = active or proposed
    if known is None and not await PayeeRepository(session).events(id_number):
        raise NotFound(f"no payee account for {mask(id_number)}")
    if known is not None:
        principal.ensure_covers(known.region_code)
    elif principal.region is not None:
        raise NotFound(f"no payee account for {mask(id_number)}")
    return {
        "id_number": mask(id_number),
        "active": account_out(active) if active else None,
        "proposed": account_out(proposed) if proposed else None,
        "history": [
            {
                "payee_account_id": e.payee_account_id,
                "action": e.action,
                "actor": e.actor,
                "detail": e.detail,
                "at": e.at,
            }
            for e in await PayeeRepository(session).events(id_number)
        ],
    }
