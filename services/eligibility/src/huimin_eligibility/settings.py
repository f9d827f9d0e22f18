from typing import ClassVar, Self

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from huimin_shared.settings import Environment, SharedSettings


class EligibilitySettings(SharedSettings):
    """Read from ELIGIBILITY_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="ELIGIBILITY_", extra="ignore")
    service_name: ClassVar[str] = "eligibility"

    certificate_private_key: SecretStr | None = Field(
        default=None,
        description="PEM (PKCS#8) Ed25519 private key that signs status certificates. Unset in local and test: "
        "a key is generated once and kept in the service's database, so restarts keep it.",
    )
    certificate_issuer: str = Field(
        default="huimin-eligibility", description="The `iss` of status certificates."
    )
    cities: list[str] = Field(
        default=["210500"],
        description="The cities (six-digit city codes) this deployment serves: a place of residence must be a "
        "district or county of one of them in data/divisions.csv (E1). Default 本溪市.",
    )
    import_chunk_rows: int = Field(default=10_000, ge=1, description="Rows per committed chunk of an import.")
    import_inline_max_bytes: int = Field(
        default=2_000_000,
        ge=0,
        description="Files up to this size are imported within the request (one transaction); larger ones "
        "run as a background job committing chunk by chunk.",
    )

    @model_validator(mode="after")
    def _production_needs_a_certificate_key(self) -> Self:
        if self.certificate_private_key is None:
            if self.environment is Environment.production:
                raise ValueError(
                    "production needs ELIGIBILITY_CERTIFICATE_PRIVATE_KEY (the certificate signing key)"
                )
            return self
        pem = self.certificate_private_key.get_secret_value().encode()
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except (ValueError, TypeError) as exc:
            raise ValueError(
                "ELIGIBILITY_CERTIFICATE_PRIVATE_KEY is not an unencrypted PEM private key "
                f"({exc.__class__.__name__}); make one with `openssl genpkey -algorithm ed25519`"
            ) from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(
                "ELIGIBILITY_CERTIFICATE_PRIVATE_KEY must be an Ed25519 private key (PEM, PKCS#8)"
            )
        return self
