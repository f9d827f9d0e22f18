from huimin_settlement.models import metadata
from huimin_settlement.settings import SettlementSettings
from huimin_shared.migrations import run_migrations

run_migrations(metadata, SettlementSettings().database_url)
