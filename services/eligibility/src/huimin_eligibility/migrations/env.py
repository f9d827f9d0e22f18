from huimin_shared.migrations import run_migrations

from huimin_eligibility.models import metadata
from huimin_eligibility.settings import EligibilitySettings

run_migrations(metadata, EligibilitySettings().database_url)
