"""The premium service: what each resident owes and what the government pays (POLICY.md P1–P6, R1)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.exc import IntegrityError

from huimin_premium import __version__, events
from huimin_premium.assessments.router import router as assessments_router
from huimin_premium.assessments.runner import ASSESSMENT_RUN, assessment_run_kind
from huimin_premium.deps import READERS, eligibility_client
from huimin_premium.packs.router import router as packs_router
from huimin_premium.packs.service import load_shipped
from huimin_premium.quotes.router import router as quotes_router
from huimin_premium.reads.router import router as reads_router
from huimin_premium.reports.router import router as reports_router
from huimin_premium.settings import PremiumSettings
from huimin_premium.simulations.router import router as simulations_router
from huimin_shared.app import Runtime, build_app
from huimin_shared.auth import Role
from huimin_shared.events import TAG as EVENTS_TAG
from huimin_shared.events import delivery_kind, subscriptions_router
from huimin_shared.jobs import JobRunner, jobs_router

MIGRATIONS = "huimin_premium:migrations"

DESCRIPTION = """
Social insurance's premium and subsidy engine (保费与资助测算): dated policy packs, quotes that
show their working for every fen, assessments over the eligibility roster, simulations and the
R1 province report.

## In which order the routes are called
1. **Know the rules**: `listPacks`, then `getPackVersion` for a pack's dated, cited values;
   `validatePack` checks a candidate local pack against the national floors; a new version is
   published by `proposePackVersion`, `validatePackVersion` and `approvePackVersion` (another person).
2. **One resident**: `createQuote` gives the premium, the subsidy and who pays it, with the working
   for every fen (it reads the resident's status from eligibility).
3. **The year**: `createAssessment` costs the whole roster (poll `getAssessment` or
   `getAssessmentRun`); settlement then reads `getAssessmentGroups` and `getAssessmentLines`.
   `rerunAssessment` makes a new version when the register changed; `getAssessmentDiff` says what moved.
4. **What if**: `createSimulation` re-costs an assessment under changed parameters and stores nothing.
5. **Report**: `getR1Report` for the province, once settlement has moved the money.

How the three services fit together, and the whole year's calls in order: `docs/architecture.md`
in the repository.

Base premium amounts per age group are not in the notices; the shipped packs mark the amounts
they chose `illustrative: true`.

Authenticate with a Bearer JWT (Authorize; `huimin token --role social_insurance` in development).
Errors are RFC 9457 problem details (`application/problem+json`).
"""


async def _load_packs(runtime: Runtime) -> None:
    for _attempt in range(2):  # another process may load the same pack at the same moment
        async with runtime.sessions() as session:
            try:
                await load_shipped(session)
                await session.commit()
                return
            except IntegrityError:
                await session.rollback()


@asynccontextmanager
async def _lifespan(app: FastAPI, runtime: Runtime) -> AsyncIterator[None]:
    settings = runtime.settings
    if not isinstance(settings, PremiumSettings):
        raise TypeError("the premium app runs on PremiumSettings")
    await _load_packs(runtime)
    runner = JobRunner(
        runtime.sessions,
        [
            assessment_run_kind(lambda: eligibility_client(runtime), chunk=settings.assessment_chunk_rows),
            delivery_kind(runtime),
        ],
        settings.job_settings(),
    )
    app.state.jobs = runner
    runner.start()  # also takes over runs whose process died (their lease lapsed)
    try:
        yield
    finally:
        await runner.stop()


def create_app(settings: PremiumSettings | None = None) -> FastAPI:
    settings = settings or PremiumSettings()
    return build_app(
        settings,
        title="huimin premium (保费与资助测算)",
        description=DESCRIPTION,
        version=__version__,
        migrations=MIGRATIONS,
        routers=[
            packs_router,
            quotes_router,
            assessments_router,
            simulations_router,
            reports_router,
            jobs_router([ASSESSMENT_RUN], *READERS),
            subscriptions_router(events.EVENT_TYPES, Role.admin),
            reads_router,
        ],
        lifespan_hook=_lifespan,
        openapi_tags=[
            EVENTS_TAG,
            {"name": "packs", "description": "Policy packs (政策参数包) as dated, cited data."},
            {"name": "quotes", "description": "One resident's premium and subsidy (保费测算)."},
            {
                "name": "assessments",
                "description": "Assessments over the roster (资助参保资金核定), versioned.",
            },
            {
                "name": "simulations",
                "description": "An assessment re-costed under changed parameters (政策模拟).",
            },
            {"name": "reports", "description": "R1 to the ministries (困难居民参保情况报表)."},
            {"name": "jobs", "description": "Assessment runs as durable background jobs, with progress."},
            {
                "name": "residents",
                "description": "A person's own view (DRS-8): their assessment lines and who read them (查询记录).",
            },
        ],
    )
