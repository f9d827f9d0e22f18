"""Every table of the premium service, imported so Alembic and the tests see the whole metadata."""

from huimin_premium.assessments import models as assessments_models
from huimin_premium.db import Base
from huimin_premium.packs import models as packs_models

metadata = Base.metadata

__all__ = ["assessments_models", "metadata", "packs_models"]
