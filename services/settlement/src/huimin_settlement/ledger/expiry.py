"""The background sweep that voids pending transfers past their deadline (TigerBeetle's timeouts)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import structlog
from fastapi import FastAPI

from huimin_settlement.ledger.service import LedgerService
from huimin_settlement.settings import SettlementSettings
from huimin_shared.app import Runtime

log = structlog.get_logger(__name__)
ACTOR = "system:pending-expiry"


async def sweep_once(runtime: Runtime) -> int:
    async with runtime.sessions() as session, session.begin():
        voided = await LedgerService(session).expire_pending(ACTOR)
    if voided:
        log.info("pending_transfers_expired", count=len(voided))
    return len(voided)


async def _loop(runtime: Runtime, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            await sweep_once(runtime)
        except Exception:  # keep sweeping; the next round retries
            log.exception("pending_expiry_failed")


@contextlib.asynccontextmanager
async def pending_expiry(app: FastAPI, runtime: Runtime) -> AsyncIterator[None]:
    settings = runtime.settings
    interval = settings.pending_sweep_seconds if isinstance(settings, SettlementSettings) else 0
    if not interval:
        yield
        return
    task = asyncio.create_task(_loop(runtime, interval), name="pending-expiry")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
