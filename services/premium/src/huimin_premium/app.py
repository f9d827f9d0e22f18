"""The premium service: what each resident owes and what the government pays (POLICY.md P1–P6, R1)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.exc import IntegrityError

from huimin_premium import __version__
from huimin_premium.assessments.router import router as assessments_router
from huimin_premium.assessments.runner import Jobs
from huimin_premium.deps import eligibility_client
from huimin_premium.packs.router import router as packs_router
from huimin_premium.packs.service import load_shipped
from huimin_premium.quotes.router import router as quotes_router
from huimin_premium.reads.router import router as reads_router
from huimin_premium.reports.router import router as reports_router
from huimin_premium.settings import PremiumSettings
from huimin_premium.simulations.router import router as simulations_router
from huimin_shared.app import Runtime, build_app

MIGRATIONS = "huimin_premium:migrations"

DESCRIPTION = """
Social insurance's premium and subsidy engine (保费与资助测算): dated policy packs, quotes that
show their working for every fen, assessments over the eligibility roster, simulations and the
R1 province report.

Base premium amounts per age group are not in the notices; the shipped packs mark the amounts
they chose `illustrative: true`.

Authenticate with a Bearer JWT (`huimin token --role social_insurance` in development).
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
    await _load_packs(runtime)
    jobs = Jobs(runtime.sessions, lambda: eligibility_client(runtime))
    app.state.jobs = jobs
    await jobs.resume_interrupted()
    try:
        yield
    finally:
        await jobs.stop()


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
            reads_router,
        ],
        lifespan_hook=_lifespan,
        openapi_tags=[
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
        ],
    )
