"""The published contract (issue 10): the files in docs/openapi/ are what the code serves, every
spec keeps the rules of ``huimin_shared.openapi``, and every request example is one the API accepts."""

from functools import cache
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import TypeAdapter

from huimin_cli import openapi
from huimin_cli.services import SERVICES, SERVICES_BY_NAME
from huimin_shared.openapi import contract_problems

ROOT = Path(__file__).resolve().parent.parent
NAMES = [service.name for service in SERVICES]


@cache
def spec(name: str) -> dict[str, Any]:
    return openapi.spec_of(SERVICES_BY_NAME[name])


def test_the_exported_specs_match_the_code() -> None:
    """docs/openapi/*.json are regenerated with `huimin openapi` whenever a route or model changes."""
    assert openapi.stale(ROOT / "docs" / "openapi") == []


@pytest.mark.parametrize("name", NAMES)
def test_the_spec_keeps_the_contract(name: str) -> None:
    """camelCase unique ids, PascalCase schema names, described tags, security and problem+json
    responses on every /v1 operation, an example on every JSON request body, an overview naming
    real operations."""
    assert contract_problems(spec(name)) == []


@pytest.mark.parametrize("name", NAMES)
def test_every_request_example_is_accepted_by_its_model(name: str) -> None:
    """An example in /docs is one "Try it out" can send: it passes the route's own validation."""
    module = __import__(f"huimin_{name}.app", fromlist=["create_app"])
    settings = SERVICES_BY_NAME[name].settings_class.model_construct(
        database_url="postgresql+asyncpg://unused.invalid/none", log_json=False
    )
    checked = 0
    for context in iter_route_contexts(module.create_app(settings).routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or route.body_field is None:
            continue
        annotation = route.body_field.field_info.annotation
        adapter: TypeAdapter[Any] = TypeAdapter(annotation)
        examples = list(adapter.json_schema().get("examples", []))
        openapi_examples = route.body_field.field_info.openapi_examples or {}
        examples += [example["value"] for example in openapi_examples.values() if "value" in example]
        for example in examples:
            adapter.validate_python(example)
            checked += 1
    assert checked > 0


@pytest.mark.parametrize("name", NAMES)
def test_the_problem_schema_is_the_only_error_body(name: str) -> None:
    """FastAPI's own 422 body (HTTPValidationError) is never documented: the services answer a Problem."""
    schemas = spec(name)["components"]["schemas"]
    assert "Problem" in schemas
    assert "HTTPValidationError" not in schemas
    assert not [schema for schema in schemas if schema.endswith(("-Input", "-Output"))]
