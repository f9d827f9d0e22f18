"""The huimin command: development tokens the services accept."""

import jwt
import pytest
from typer.testing import CliRunner

from huimin_cli.main import app
from huimin_shared.settings import DEVELOPMENT_JWT_SECRET

runner = CliRunner()


def test_token_carries_the_roles_and_region_asked_for() -> None:
    result = runner.invoke(
        app, ["token", "--role", "community_officer", "--region", "210502", "--subject", "li"]
    )
    assert result.exit_code == 0, result.output
    claims = jwt.decode(result.output.strip(), DEVELOPMENT_JWT_SECRET, algorithms=["HS256"])
    assert claims["realm_access"]["roles"] == ["community_officer"]
    assert claims["region"] == "210502"
    assert claims["sub"] == "li"


def test_token_refuses_a_region_that_is_not_an_area_code() -> None:
    result = runner.invoke(app, ["token", "--role", "finance", "--region", "benxi"])
    assert result.exit_code != 0
    assert "six-digit area code" in result.output


def test_token_refuses_an_unknown_role() -> None:
    result = runner.invoke(app, ["token", "--role", "mayor"])
    assert result.exit_code != 0


def test_run_points_the_portal_at_the_three_services_with_the_suites_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`huimin run` starts the portal on :8000 calling :8001–:8003; its development sign-in signs
    with the secret the services share (HUIMIN_JWT_SECRET), unless PORTAL_* says otherwise."""
    from huimin_cli import suite
    from huimin_cli.services import PORTAL

    monkeypatch.setenv("HUIMIN_JWT_SECRET", "suite-secret")
    monkeypatch.setenv("PORTAL_SETTLEMENT_URL", "http://ledger.internal:9003")
    env = suite.portal_environment("127.0.0.1")
    assert PORTAL.port == 8000
    assert env["PORTAL_ELIGIBILITY_URL"] == "http://127.0.0.1:8001"
    assert env["PORTAL_PREMIUM_URL"] == "http://127.0.0.1:8002"
    assert env["PORTAL_SETTLEMENT_URL"] == "http://ledger.internal:9003"
    assert env["PORTAL_JWT_SECRET"] == "suite-secret"
