from huimin_shared.migrations import run_migrations

from huimin_settlement.models import metadata
from huimin_settlement.settings import SettlementSettings

run_migrations(metadata, SettlementSettings().database_url)
