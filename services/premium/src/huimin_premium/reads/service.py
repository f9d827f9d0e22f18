"""Logging reads of personal figures (quotes, assessment lines) in this service's read log, and showing a person their own (DRS-8):
huimin_shared.readlog over this service's ``read_log`` table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_premium.db import read_log as read_log_table
from huimin_shared import readlog
from huimin_shared.auth import Principal
from huimin_shared.errors import Forbidden
from huimin_shared.readlog import ReadLogOut, ensure_own

__all__ = ["ensure_own", "log_bulk_reads", "log_reads", "read_log"]


async def log_reads(
    session: AsyncSession, id_numbers: Sequence[str], principal: Principal, purpose: str
) -> None:
    await readlog.log_reads(session, read_log_table, id_numbers, principal, purpose)


async def log_bulk_reads(
    session: AsyncSession, id_numbers: Select[Any], principal: Principal, purpose: str
) -> None:
    await readlog.log_bulk_reads(session, read_log_table, id_numbers, principal, purpose)


async def read_log(session: AsyncSession, principal: Principal, id_number: str, limit: int) -> ReadLogOut:
    ensure_own(principal, id_number)
    if principal.region is not None:
        raise Forbidden(
            "premium does not know where a person lives: a region-limited token cannot read its log"
        )
    return await readlog.read_log(session, read_log_table, id_number, limit)
