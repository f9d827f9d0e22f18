"""The huimin command: development tokens the services accept."""

import jwt
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
