"""Dependencies shared by the premium routers: typed peer clients and the reader roles."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from huimin_premium.peers import EligibilityClient, SettlementClient
from huimin_premium.settings import PremiumSettings
from huimin_shared.app import Runtime, RuntimeDep
from huimin_shared.auth import Role


def _settings(runtime: Runtime) -> PremiumSettings:
    settings = runtime.settings
    if not isinstance(settings, PremiumSettings):
        raise RuntimeError("settings is not PremiumSettings")
    return settings


def eligibility_client(runtime: RuntimeDep) -> EligibilityClient:
    return EligibilityClient.from_runtime(runtime, _settings(runtime).eligibility_url)


def settlement_client(runtime: RuntimeDep) -> SettlementClient:
    return SettlementClient.from_runtime(runtime, _settings(runtime).settlement_url)


EligibilityDep = Annotated[EligibilityClient, Depends(eligibility_client)]
SettlementDep = Annotated[SettlementClient, Depends(settlement_client)]

READERS = (Role.social_insurance, Role.civil_affairs, Role.finance, Role.auditor, Role.service)
