"""The checks a ledger write passes before it touches a balance: well-formed transfers of one ledger, a
reused id naming the same movement, guarded accounts never below zero, balances within what the ledger
holds — and the refusals they raise."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from huimin_settlement.ledger import rules
from huimin_settlement.ledger.models import Account, Balance, Transfer
from huimin_shared.errors import Conflict, FieldProblem, ValidationFailed
from huimin_shared.money import MAX_YUAN

if TYPE_CHECKING:
    from huimin_settlement.ledger.service import NewTransfer


class InsufficientFunds(Conflict):
    slug = "insufficient-funds"
    title = "A guarded account would go below zero"


class BalanceLimitExceeded(Conflict):
    slug = "balance-limit"
    title = "An account balance would pass the largest amount the ledger holds"


class PeriodClosed(Conflict):
    slug = "period-closed"
    title = "The accounting period is closed"


class TransferStateConflict(Conflict):
    slug = "transfer-state"
    title = "The transfer is not in the state this change needs"


def field_problems(transfers: Sequence[NewTransfer], accounts: dict[int, Account]) -> list[FieldProblem]:
    """Unknown accounts, amounts not above zero, a transfer from an account to itself (422s naming the field)."""
    problems: list[FieldProblem] = []
    for index, transfer in enumerate(transfers):
        for side in ("debit_account_id", "credit_account_id"):
            if getattr(transfer, side) not in accounts:
                problems.append(
                    FieldProblem(field=f"body.transfers.{index}.{side}", reason="no such account")
                )
        if transfer.amount <= 0:
            problems.append(FieldProblem(field=f"body.transfers.{index}.amount", reason="must be above zero"))
        if transfer.debit_account_id == transfer.credit_account_id:
            problems.append(
                FieldProblem(
                    field=f"body.transfers.{index}.credit_account_id", reason="same as the debit account"
                )
            )
    return problems


def ensure_one_ledger(transfers: Sequence[NewTransfer], accounts: dict[int, Account]) -> None:
    """Both accounts of each transfer belong to one city's ledger."""
    for index, transfer in enumerate(transfers):
        debit, credit = accounts[transfer.debit_account_id], accounts[transfer.credit_account_id]
        if debit.city_code != credit.city_code:
            raise ValidationFailed(
                "both accounts of a transfer belong to one city's ledger",
                errors=[
                    FieldProblem(field=f"body.transfers.{index}.credit_account_id", reason="another city")
                ],
            )


def ensure_same(existing: Transfer, wanted: NewTransfer) -> None:
    """A reused transfer id must name the same movement: accounts, amount, booking date, code, cover
    year, region and paying level (S4: a retry finds its transfer; a different movement is refused)."""
    fields = {
        "debit_account_id": (existing.debit_account_id, wanted.debit_account_id),
        "credit_account_id": (existing.credit_account_id, wanted.credit_account_id),
        "amount": (existing.amount, wanted.amount),
        "value_date": (existing.value_date, wanted.value_date),
        "code": (existing.code, wanted.code),
        "cover_year": (existing.cover_year, wanted.cover_year),
        "region_code": (existing.region_code, wanted.region_code),
        "payer_level": (existing.payer_level, wanted.payer_level),
    }
    differing = [name for name, (stored, asked) in fields.items() if stored != asked]
    if differing:
        raise Conflict(
            f"transfer {existing.id} already exists with another {', '.join(differing)}; a transfer id names "
            "one movement of money",
            extra={"differing": differing},
        )


def ensure_within_limits(balances: dict[int, Balance], deltas: dict[int, list[Decimal]]) -> None:
    """No posting takes a balance, or what is reserved on an account, beyond MAX_YUAN (what an amount may
    be, so every balance reads back as one); a change that brings an out-of-range balance back is allowed."""
    for account_id, changes in sorted(deltas.items()):
        balance = balances[account_id]
        stored = (balance.posted, balance.pending_debits, balance.pending_credits)
        for name, before, change in zip(
            ("posted", "pending_debits", "pending_credits"), stored, changes, strict=True
        ):
            after = before + change
            if abs(after) > MAX_YUAN and abs(after) > abs(before):
                raise BalanceLimitExceeded(
                    f"account {account_id}'s {name} balance would become {after}, beyond the {MAX_YUAN} yuan "
                    "an account may hold",
                    extra={"account_id": account_id, "balance": name},
                )


def ensure_funds(
    balances: dict[int, Balance], accounts: dict[int, Account], deltas: dict[int, list[Decimal]]
) -> None:
    for account_id, (posted, pending_debits, _) in sorted(deltas.items()):
        balance = balances[account_id]
        after = rules.available(balance.posted + posted, balance.pending_debits + pending_debits)
        if balance.guarded and after < 0:
            account = accounts[account_id]
            raise InsufficientFunds(
                f"account {account.code} ({account.name}) has {rules.available(balance.posted, balance.pending_debits)} "
                f"available; these transfers need {-(posted - pending_debits)}, short by {-after}",
                extra={"account_id": account_id, "shortfall": str(-after)},
            )
