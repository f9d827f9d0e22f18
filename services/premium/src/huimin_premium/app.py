"""The premium service: what each resident owes and what the government pays (POLICY.md P1–P6, R1)."""

from fastapi import FastAPI

from huimin_premium import __version__
from huimin_premium.settings import PremiumSettings
from huimin_shared.app import build_app

MIGRATIONS = "huimin_premium:migrations"

DESCRIPTION = """
Social insurance's premium and subsidy engine (保费与资助测算): dated policy packs, quotes that
show their working for every fen, assessments over the eligibility roster, simulations and the
R1 province report.

Authenticate with a Bearer JWT (`huimin token --role social_insurance` in development).
Errors are RFC 9457 problem details (`application/problem+json`).
"""


def create_app(settings: PremiumSettings | None = None) -> FastAPI:
    settings = settings or PremiumSettings()
    return build_app(
        settings,
        title="huimin premium (保费与资助测算)",
        description=DESCRIPTION,
        version=__version__,
        migrations=MIGRATIONS,
        routers=[],
    )
