from huimin_eligibility.models import metadata
from huimin_eligibility.settings import EligibilitySettings
from huimin_shared.migrations import run_migrations

run_migrations(metadata, EligibilitySettings().database_url)
