from huimin_shared.migrations import run_migrations

from huimin_premium.models import metadata
from huimin_premium.settings import PremiumSettings

run_migrations(metadata, PremiumSettings().database_url)
