"""The eligibility service: civil affairs' register of who is in hardship (POLICY.md E1–E7, R2)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from huimin_eligibility import __version__, events
from huimin_eligibility.appeals.router import router as appeals_router
from huimin_eligibility.applications.router import router as applications_router
from huimin_eligibility.audit.router import router as audit_router
from huimin_eligibility.certifications.router import router as certifications_router
from huimin_eligibility.imports.router import router as imports_router
from huimin_eligibility.imports.service import IMPORT, import_kind
from huimin_eligibility.reports.router import router as reports_router
from huimin_eligibility.residents.router import router as residents_router
from huimin_eligibility.roster.router import router as roster_router
from huimin_eligibility.search.router import router as search_router
from huimin_eligibility.settings import EligibilitySettings
from huimin_eligibility.status.router import router as status_router
from huimin_eligibility.status.router import well_known_router
from huimin_eligibility.status.signing import signer_lifespan
from huimin_shared.app import Runtime, build_app
from huimin_shared.auth import Role
from huimin_shared.events import TAG as EVENTS_TAG
from huimin_shared.events import delivery_kind, subscriptions_router
from huimin_shared.jobs import JobRunner, jobs_router

MIGRATIONS = "huimin_eligibility:migrations"

DESCRIPTION = """
Civil affairs' register (民政部门资格认定): residents, their certified hardship categories with
bitemporal history, applications, status look-ups with signed certificates, rosters, monthly
change reports, imports and the community disclosure list.

## In which order the routes are called
1. **Fill the register**: `createImport` loads a CSV or XLSX sheet (poll `getImport`, read the
   refused rows with `getImportRows`), or one at a time `registerResident` then `certify`.
2. **Apply and decide**: a community officer calls `submitApplication`; civil affairs
   `approveApplication` (which certifies) or `rejectApplication`.
3. **Look up**: `getResidentStatus` for one person on a date, with a certificate that anyone checks
   against `getJwks`; `getBulkStatus` for up to 1,000 at once.
4. **The year's reads by the other services**: premium pages through `getRoster` (pass the returned
   `as_of` back), settlement reads `getHeadCounts` on 31 October before the cover year.
5. **Every month**: `exitCertification` and `correctCertification` as people leave or records are
   fixed, then `getMonthlyChanges` by the 10th; `getDisclosure` for the community notice board;
   `getAuditLog` and `getReadLog` for the auditor.

How the three services fit together, and the whole year's calls in order: `docs/architecture.md`
in the repository.

Authenticate with a Bearer JWT (Authorize; `huimin token --role civil_affairs` in development).
Errors are RFC 9457 problem details (`application/problem+json`).
"""

TAGS = [
    {
        "name": "residents",
        "description": "The people on the register (居民), their versions and who read them.",
    },
    {
        "name": "certifications",
        "description": "Certified hardship categories (认定) with valid and recorded time: certify, exit, correct.",
    },
    {
        "name": "status",
        "description": "Is this person subsidised on this date (资格查询), one or many, with a signed certificate.",
    },
    {
        "name": "roster",
        "description": "The year's roster for premium and the 31 October head counts for settlement (名册, 人数).",
    },
    {"name": "imports", "description": "Sheets of residents and certifications loaded in bulk (批量导入)."},
    {
        "name": "applications",
        "description": "A resident's application and civil affairs' decision (申请审批).",
    },
    {
        "name": "reports",
        "description": "The monthly change report (月度变动) and the community disclosure list (公示).",
    },
    {"name": "audit", "description": "Who changed what, when (审计日志)."},
    {
        "name": "search",
        "description": "Finding people (查询): by name, community, household and category; households; "
        "people registered twice.",
    },
    {
        "name": "appeals",
        "description": "Reviews (复核) of a refusal or an exit: filed by a community officer, answered by another "
        "civil-affairs officer within the deadline.",
    },
    {
        "name": "jobs",
        "description": "Large imports as durable background jobs any replica runs, with progress.",
    },
]


@asynccontextmanager
async def _lifespan(app: FastAPI, runtime: Runtime) -> AsyncIterator[None]:
    settings = runtime.settings
    if not isinstance(settings, EligibilitySettings):
        raise TypeError("the eligibility app runs on EligibilitySettings")
    async with signer_lifespan(app, runtime):
        # Imports of large files are durable jobs: any replica runs them, and takes over those whose
        # process died (their lease lapsed), resuming after the last committed chunk.
        runner = JobRunner(
            runtime.sessions,
            [import_kind(settings.import_chunk_rows), delivery_kind(runtime)],
            settings.job_settings(),
        )
        app.state.jobs = runner
        runner.start()
        try:
            yield
        finally:
            await runner.stop()


def create_app(settings: EligibilitySettings | None = None) -> FastAPI:
    settings = settings or EligibilitySettings()
    return build_app(
        settings,
        title="huimin eligibility (资格认定)",
        description=DESCRIPTION,
        version=__version__,
        migrations=MIGRATIONS,
        routers=[
            search_router,
            residents_router,
            certifications_router,
            status_router,
            roster_router,
            imports_router,
            applications_router,
            appeals_router,
            reports_router,
            audit_router,
            well_known_router,
            jobs_router([IMPORT], Role.civil_affairs),
            subscriptions_router(events.EVENT_TYPES, Role.admin),
        ],
        lifespan_hook=_lifespan,
        openapi_tags=[*TAGS, EVENTS_TAG],
    )
