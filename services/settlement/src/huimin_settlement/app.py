"""The settlement service: the double-entry ledger that moves subsidy money (POLICY.md S1–S4)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from huimin_settlement import __version__
from huimin_settlement.bank.router import router as bank_router
from huimin_settlement.batches.router import router as batches_router
from huimin_settlement.deps import READER_ROLES
from huimin_settlement.funding.router import router as funding_router
from huimin_settlement.ledger.expiry import PENDING_EXPIRY, pending_expiry_kind
from huimin_settlement.ledger.router import router as ledger_router
from huimin_settlement.reconciliation.router import router as reconciliation_router
from huimin_settlement.schedule.router import router as schedule_router
from huimin_settlement.settings import SettlementSettings
from huimin_shared.app import Runtime, build_app
from huimin_shared.jobs import JobRunner, jobs_router

MIGRATIONS = "huimin_settlement:migrations"

DESCRIPTION = """
Finance's ledger (资金结算): accounts, idempotent two-phase transfers, settlement batches built
from premium assessments with maker-checker approval, funding flows, the statutory schedule,
reconciliation and the bank side.

Authenticate with a Bearer JWT (`huimin token --role finance` in development).
Errors are RFC 9457 problem details (`application/problem+json`).
"""


@asynccontextmanager
async def _lifespan(app: FastAPI, runtime: Runtime) -> AsyncIterator[None]:
    settings = runtime.settings
    if not isinstance(settings, SettlementSettings):
        raise TypeError("the settlement app runs on SettlementSettings")
    kinds = [pending_expiry_kind(settings.pending_sweep_seconds)] if settings.pending_sweep_seconds else []
    runner = JobRunner(runtime.sessions, kinds, settings.job_settings())
    app.state.jobs = runner
    if kinds:
        runner.start()
    try:
        yield
    finally:
        await runner.stop()


def create_app(settings: SettlementSettings | None = None) -> FastAPI:
    settings = settings or SettlementSettings()
    return build_app(
        settings,
        title="huimin settlement (资金结算)",
        description=DESCRIPTION,
        version=__version__,
        migrations=MIGRATIONS,
        lifespan_hook=_lifespan,
        routers=[
            ledger_router,
            batches_router,
            funding_router,
            schedule_router,
            reconciliation_router,
            bank_router,
            jobs_router([PENDING_EXPIRY], *READER_ROLES),
        ],
    )
