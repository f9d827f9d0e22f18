"""The settlement service: the double-entry ledger that moves subsidy money (POLICY.md S1–S4)."""

from fastapi import FastAPI

from huimin_settlement import __version__
from huimin_settlement.bank.router import router as bank_router
from huimin_settlement.batches.router import router as batches_router
from huimin_settlement.funding.router import router as funding_router
from huimin_settlement.ledger.expiry import pending_expiry
from huimin_settlement.ledger.router import router as ledger_router
from huimin_settlement.reads.router import router as reads_router
from huimin_settlement.reconciliation.router import router as reconciliation_router
from huimin_settlement.schedule.router import router as schedule_router
from huimin_settlement.settings import SettlementSettings
from huimin_shared.app import build_app

MIGRATIONS = "huimin_settlement:migrations"

DESCRIPTION = """
Finance's ledger (资金结算): accounts, idempotent two-phase transfers, settlement batches built
from premium assessments with maker-checker approval, funding flows, the statutory schedule,
reconciliation and the bank side.

Authenticate with a Bearer JWT (`huimin token --role finance` in development).
Errors are RFC 9457 problem details (`application/problem+json`).
"""


def create_app(settings: SettlementSettings | None = None) -> FastAPI:
    settings = settings or SettlementSettings()
    return build_app(
        settings,
        title="huimin settlement (资金结算)",
        description=DESCRIPTION,
        version=__version__,
        migrations=MIGRATIONS,
        lifespan_hook=pending_expiry,
        routers=[
            ledger_router,
            batches_router,
            funding_router,
            schedule_router,
            reconciliation_router,
            bank_router,
            reads_router,
        ],
    )
