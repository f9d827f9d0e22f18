from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from huimin_shared.settings import SharedSettings


class EligibilitySettings(SharedSettings):
    """Read from ELIGIBILITY_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="ELIGIBILITY_", extra="ignore")
    service_name: ClassVar[str] = "eligibility"
