"""Role dependencies of the settlement routes, as ``Annotated`` aliases."""

from typing import Annotated

from fastapi import Depends, Header

from huimin_settlement.peers import EligibilityClient, PremiumClient
from huimin_settlement.settings import SettlementSettings
from huimin_shared.app import Runtime, RuntimeDep
from huimin_shared.auth import Principal, Role, require_roles

# Writes that move money: finance (财政部门).
FinanceDep = Annotated[Principal, Depends(require_roles(Role.finance))]
# Reading the ledger: finance, audit, and the other services.
READER_ROLES = (Role.finance, Role.auditor, Role.service)
ReaderDep = Annotated[Principal, Depends(require_roles(*READER_ROLES))]
# Preparing a batch: the departments that certify amounts (社保局核定, 民政) or finance.
MakerDep = Annotated[
    Principal, Depends(require_roles(Role.finance, Role.social_insurance, Role.civil_affairs))
]
# Filing a report against the schedule.
ReporterDep = Annotated[
    Principal, Depends(require_roles(Role.civil_affairs, Role.social_insurance, Role.finance))
]
# Reading batches and the schedule.
BatchReaderDep = Annotated[
    Principal,
    Depends(
        require_roles(Role.finance, Role.auditor, Role.social_insurance, Role.civil_affairs, Role.service)
    ),
]

IdempotencyKeyHeader = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="A unique key per intended effect (e.g. a UUID); a retry with the same key and body replays "
        "the first answer, the same key with another body is a 409.",
    ),
]


def _settings(runtime: Runtime) -> SettlementSettings:
    settings = runtime.settings
    if not isinstance(settings, SettlementSettings):
        raise RuntimeError("settings is not SettlementSettings")
    return settings


def premium_client(runtime: RuntimeDep) -> PremiumClient:
    return PremiumClient.from_runtime(runtime, _settings(runtime).premium_url)


def eligibility_client(runtime: RuntimeDep) -> EligibilityClient:
    return EligibilityClient.from_runtime(runtime, _settings(runtime).eligibility_url)


PremiumDep = Annotated[PremiumClient, Depends(premium_client)]
EligibilityDep = Annotated[EligibilityClient, Depends(eligibility_client)]

# A person's money trace: the batch readers, and the resident themselves (reads.service.ensure_own).
TraceReaderDep = Annotated[
    Principal,
    Depends(
        require_roles(
            Role.finance, Role.auditor, Role.social_insurance, Role.civil_affairs, Role.service, Role.resident
        )
    ),
]
ReadLogReaderDep = Annotated[
    Principal, Depends(require_roles(Role.auditor, Role.civil_affairs, Role.finance, Role.resident))
]
