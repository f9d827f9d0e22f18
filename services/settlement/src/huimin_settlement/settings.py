from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from huimin_shared.settings import SharedSettings


class SettlementSettings(SharedSettings):
    """Read from SETTLEMENT_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="SETTLEMENT_", extra="ignore")
    service_name: ClassVar[str] = "settlement"

    premium_url: str = "http://127.0.0.1:8002"
    eligibility_url: str = "http://127.0.0.1:8001"
