from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from huimin_shared.settings import SharedSettings


class PremiumSettings(SharedSettings):
    """Read from PREMIUM_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="PREMIUM_", extra="ignore")
    service_name: ClassVar[str] = "premium"
    calls_peers: ClassVar[bool] = True

    eligibility_url: str = "http://127.0.0.1:8001"
    settlement_url: str = "http://127.0.0.1:8003"
    assessment_chunk_rows: int = Field(
        default=50_000,
        ge=1,
        description="Roster lines an assessment run stages and commits at a time (its checkpoint).",
    )
