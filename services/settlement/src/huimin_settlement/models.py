"""Every table of the settlement service, imported so Alembic and the tests see the whole metadata."""

from huimin_settlement.db import Base

metadata = Base.metadata

__all__ = ["metadata"]
