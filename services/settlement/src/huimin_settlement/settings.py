from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from huimin_shared.settings import SharedSettings


class SettlementSettings(SharedSettings):
    """Read from SETTLEMENT_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="SETTLEMENT_", extra="ignore")
    service_name: ClassVar[str] = "settlement"
    calls_peers: ClassVar[bool] = True

    premium_url: str = "http://127.0.0.1:8002"
    eligibility_url: str = "http://127.0.0.1:8001"
    pending_sweep_seconds: float = Field(
        default=60.0,
        ge=0,
        description="How often pending transfers past their deadline are voided; 0 turns it off.",
    )
