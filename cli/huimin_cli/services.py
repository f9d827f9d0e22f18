"""The three services as the CLI knows them: name, port, settings class, migrations."""

from __future__ import annotations

from dataclasses import dataclass

from huimin_eligibility.app import MIGRATIONS as ELIGIBILITY_MIGRATIONS
from huimin_eligibility.settings import EligibilitySettings
from huimin_premium.app import MIGRATIONS as PREMIUM_MIGRATIONS
from huimin_premium.settings import PremiumSettings
from huimin_settlement.app import MIGRATIONS as SETTLEMENT_MIGRATIONS
from huimin_settlement.settings import SettlementSettings
from huimin_shared.settings import SharedSettings


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    port: int
    settings_class: type[SharedSettings]
    migrations: str

    @property
    def env_prefix(self) -> str:
        return self.name.upper() + "_"

    @property
    def app_factory(self) -> str:
        return f"huimin_{self.name}.app:create_app"

    @property
    def database_name(self) -> str:
        return f"huimin_{self.name}"

    def settings(self) -> SharedSettings:
        return self.settings_class()


SERVICES = (
    ServiceSpec("eligibility", 8001, EligibilitySettings, ELIGIBILITY_MIGRATIONS),
    ServiceSpec("premium", 8002, PremiumSettings, PREMIUM_MIGRATIONS),
    ServiceSpec("settlement", 8003, SettlementSettings, SETTLEMENT_MIGRATIONS),
)
SERVICES_BY_NAME = {spec.name: spec for spec in SERVICES}


@dataclass(frozen=True)
class PortalSpec:
    """The community portal: a fourth process with no database, calling the three services."""

    name: str = "portal"
    port: int = 8000
    app_factory: str = "huimin_portal.app:create_app"
    env_prefix: str = "PORTAL_"


PORTAL = PortalSpec()
