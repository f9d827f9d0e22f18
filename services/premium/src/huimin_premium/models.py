"""Every table of the premium service, imported so Alembic and the tests see the whole metadata."""

from huimin_premium.db import Base

metadata = Base.metadata

__all__ = ["metadata"]
