"""Every table of the settlement service, imported so Alembic and the tests see the whole metadata."""

from huimin_settlement.batches import models as batches_models
from huimin_settlement.db import Base
from huimin_settlement.funding import models as funding_models
from huimin_settlement.idempotency import models as idempotency_models
from huimin_settlement.ledger import models as ledger_models
from huimin_settlement.own_shares import models as own_shares_models
from huimin_settlement.payees import models as payees_models
from huimin_settlement.refunds import models as refunds_models
from huimin_settlement.schedule import models as schedule_models

metadata = Base.metadata

__all__ = [
    "batches_models",
    "funding_models",
    "idempotency_models",
    "ledger_models",
    "metadata",
    "own_shares_models",
    "payees_models",
    "refunds_models",
    "schedule_models",
]
