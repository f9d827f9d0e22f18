"""The eligibility service: civil affairs' register of who is in hardship (POLICY.md E1–E7, R2)."""

from fastapi import FastAPI

from huimin_eligibility import __version__
from huimin_eligibility.settings import EligibilitySettings
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
        routers=[],
    )
