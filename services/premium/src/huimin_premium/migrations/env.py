from huimin_premium.models import metadata
from huimin_premium.settings import PremiumSettings
from huimin_shared.migrations import run_migrations

run_migrations(metadata, PremiumSettings().database_url)
