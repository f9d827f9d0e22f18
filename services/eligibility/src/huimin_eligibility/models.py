"""Every table of the eligibility service, imported so Alembic and the tests see the whole metadata."""

from huimin_eligibility.appeals import models as appeals_models
from huimin_eligibility.applications import models as applications_models
from huimin_eligibility.audit import models as audit_models
from huimin_eligibility.certifications import models as certifications_models
from huimin_eligibility.db import Base
from huimin_eligibility.imports import models as imports_models
from huimin_eligibility.residents import models as residents_models
from huimin_eligibility.status import models as status_models

metadata = Base.metadata

__all__ = [
    "appeals_models",
    "applications_models",
    "audit_models",
    "certifications_models",
    "imports_models",
    "metadata",
    "residents_models",
    "status_models",
]
