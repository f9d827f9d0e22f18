"""The settlement service: the double-entry ledger that moves subsidy money (POLICY.md S1–S4)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from huimin_settlement import __version__, events
from huimin_settlement.bank.router import router as bank_router
from huimin_settlement.batches.router import router as batches_router
from huimin_settlement.deps import READER_ROLES
from huimin_settlement.funding.router import router as funding_router
from huimin_settlement.ledger.expiry import PENDING_EXPIRY, pending_expiry_kind
from huimin_settlement.ledger.router import router as ledger_router
from huimin_settlement.own_shares.router import router as own_shares_router
from huimin_settlement.payees.router import router as payees_router
from huimin_settlement.reads.router import router as reads_router
from huimin_settlement.reconciliation.router import router as reconciliation_router
from huimin_settlement.refunds.router import router as refunds_router
from huimin_settlement.schedule.router import router as schedule_router
from huimin_settlement.settings import SettlementSettings
from huimin_shared.app import Runtime, build_app
from huimin_shared.auth import Role
from huimin_shared.events import TAG as EVENTS_TAG
from huimin_shared.events import delivery_kind, subscriptions_router
from huimin_shared.jobs import JobRunner, jobs_router

MIGRATIONS = "huimin_settlement:migrations"

DESCRIPTION = """
Finance's ledger (资金结算): accounts, idempotent two-phase transfers, settlement batches built
from premium assessments with maker-checker approval, funding flows, the statutory schedule,
reconciliation and the bank side.

## In which order the routes are called
1. **Once per city**: `openChart` opens the accounts; `getSchedule` lists the year's deadlines.
2. **Before the year**: `createPreAllocation` moves the city's advance to districts and counties from
   the 31 October head counts (read from eligibility).
3. **Pay**: `createBatch` prepares a batch from a premium assessment (maker), `getBatch`,
   `getBatchLines` and `getBatchVariance` show it, `approveBatch` (a different checker) and
   `executeBatch` move the money; `createSupplementaryAllocation` tops the fund up when more is due.
   `listBatches` lists them; `getResidentTrace` follows one resident's money.
4. **Own shares and refunds**: `recordOwnSharePayments` / `importOwnSharePayments` take what residents paid
   of their own share (a marginal instalment pays only them; `carryWithheld` pays the late payers in a later
   batch, `listWaiting` lists who waits); `proposePayee` / `approvePayee` keep each resident's payee account;
   `writeRefundInstructions`, `getRefundBankFile`, `importRefundConfirmations` and `retryRefunds` pay refunds
   person by person. `getPaymentInstructions` / `importConfirmations` are the per-transfer bank file of the
   other batches.
5. **Year end**: `createYearEndSettlement` settles city against districts and counties;
   `fileSubmission` records the reports filed; `getReconciliation` and `getFiscalSubsidy` for the
   auditor and premium's R1 report. The ledger routes (`createTransfers`, `listAccounts` …) are
   the layer underneath, open to finance.

How the three services fit together, and the whole year's calls in order: `docs/architecture.md`
in the repository.

Authenticate with a Bearer JWT (Authorize; `huimin token --role finance` in development).
Errors are RFC 9457 problem details (`application/problem+json`).
"""

TAGS = [
    {
        "name": "ledger",
        "description": "Double-entry accounts and two-phase, idempotent transfers (账户, 转账): the layer under the rest.",
    },
    {
        "name": "batches",
        "description": "Settlement batches from premium assessments, maker-checker, and a resident's trace (资金批次).",
    },
    {
        "name": "funding",
        "description": "City pre-allocation, supplementary allocation and year-end settlement (预拨, 追加, 结算).",
    },
    {
        "name": "schedule",
        "description": "The statutory deadlines of a city's year and the reports filed (工作时限).",
    },
    {
        "name": "reconciliation",
        "description": "Due against moved, the ledger's proofs, and the fiscal subsidy in place for R1 (对账).",
    },
    {"name": "bank", "description": "Payment instruction files out and the bank's confirmations in (银行)."},
    {
        "name": "jobs",
        "description": "Periodic work (the pending-transfer expiry sweep) as durable jobs, one replica a round.",
    },
    {
        "name": "own-shares",
        "description": "Own-share payments from social insurance; marginal instalments wait for them (个人缴费, S3).",
    },
    {
        "name": "payees",
        "description": "Each resident's payee account for refunds, maker-checker, masked, audited (收款账户, B§四(四)).",
    },
    {
        "name": "refunds",
        "description": "One payment instruction per person, the bank's answers, returns to suspense and retries (返还).",
    },
    {
        "name": "residents",
        "description": "A person's own view (DRS-8): the payments made for them and who read them (查询记录).",
    },
]


@asynccontextmanager
async def _lifespan(app: FastAPI, runtime: Runtime) -> AsyncIterator[None]:
    settings = runtime.settings
    if not isinstance(settings, SettlementSettings):
        raise TypeError("the settlement app runs on SettlementSettings")
    kinds = [pending_expiry_kind(settings.pending_sweep_seconds)] if settings.pending_sweep_seconds else []
    runner = JobRunner(runtime.sessions, [*kinds, delivery_kind(runtime)], settings.job_settings())
    app.state.jobs = runner
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
            subscriptions_router(events.EVENT_TYPES, Role.admin),
            reads_router,
            own_shares_router,
            payees_router,
            refunds_router,
        ],
        openapi_tags=[*TAGS, EVENTS_TAG],
    )
