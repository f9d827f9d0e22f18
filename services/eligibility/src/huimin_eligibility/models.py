"""Every table of the eligibility service, imported so Alembic and the tests see the whole metadata."""

from huimin_eligibility.db import Base

metadata = Base.metadata

__all__ = ["metadata"]
