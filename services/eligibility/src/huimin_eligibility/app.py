"""The eligibility service: civil affairs' register of who is in hardship (POLICY.md E1–E7, R2)."""

from fastapi import FastAPI

from huimin_eligibility import __version__
from huimin_eligibility.appeals.router import router as appeals_router
from huimin_eligibility.applications.router import router as applications_router
from huimin_eligibility.audit.router import router as audit_router
from huimin_eligibility.certifications.router import router as certifications_router
from huimin_eligibility.imports.router import router as imports_router
from huimin_eligibility.reports.router import router as reports_router
from huimin_eligibility.residents.router import router as residents_router
from huimin_eligibility.roster.router import router as roster_router
from huimin_eligibility.search.router import router as search_router
from huimin_eligibility.settings import EligibilitySettings
from huimin_eligibility.status.router import router as status_router
from huimin_eligibility.status.router import well_known_router
from huimin_eligibility.status.signing import signer_lifespan
from huimin_shared.app import build_app

MIGRATIONS = "huimin_eligibility:migrations"

DESCRIPTION = """
Civil affairs' register (民政部门资格认定): residents, their certified hardship categories with
bitemporal history, applications, status look-ups with signed certificates, rosters, monthly
change reports, imports and the community disclosure list.

Authenticate with a Bearer JWT (`huimin token --role civil_affairs` in development).
Errors are RFC 9457 problem details (`application/problem+json`).
"""


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
        ],
        lifespan_hook=signer_lifespan,
    )
