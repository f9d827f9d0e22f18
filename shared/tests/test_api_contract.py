"""The API contract every service gets from ``build_app`` (issue 10): operation ids, security,
problem responses, tags, schema names and /docs pages that need no network."""

import re
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends, File, Form, UploadFile
from pydantic import BaseModel, ConfigDict

from huimin_shared.app import build_app
from huimin_shared.auth import Principal, Role, require_roles
from huimin_shared.openapi import contract_problems
from huimin_shared.settings import SharedSettings
from huimin_shared.testing import api_client, server_url

Officer = Annotated[Principal, Depends(require_roles(Role.civil_affairs))]


class Batch(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"city": "210500"}]})

    city: str


def _router() -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["things"])

    @router.get("/residents/{id_number}/status")
    async def resident_status(id_number: str, _: Officer) -> dict[str, str]:
        return {"id_number": id_number}

    @router.post("/batches", status_code=201)
    async def create_batch(batch: Batch, _: Officer) -> Batch:
        return batch

    @router.get("/packs")
    async def list_packs(_: Officer) -> list[str]:
        return []

    @router.post("/confirmations", max_body_size=1024)
    async def import_confirmations(batch: Batch, _: Officer) -> Batch:
        return batch

    @router.post("/imports")
    async def create_import(_: Officer, file: UploadFile = File(), mode: str = Form()) -> dict[str, str]:
        return {"mode": mode}

    return router


TAGS = [{"name": "things", "description": "Things to test with."}]


class _Settings(SharedSettings):
    pass


def _settings(**overrides: Any) -> _Settings:
    return _Settings(database_url=server_url(), environment="test", **overrides)


def _build(*routers: APIRouter, settings: SharedSettings | None = None, tags: Any = TAGS) -> Any:
    return build_app(
        settings or _settings(),
        title="t",
        description="Call `getResidentStatus` first.",
        version="0",
        migrations=None,
        routers=list(routers) or [_router()],
        openapi_tags=tags,
    )


def _operations(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {op["operationId"]: op for methods in schema["paths"].values() for op in methods.values()}


def test_operation_ids_are_short_camel_case_from_the_endpoint_name() -> None:
    """A GET named by a noun reads getX; other endpoints are named by their verb already."""
    ids = set(_operations(_build().openapi()))
    assert {"getResidentStatus", "createBatch", "listPacks", "createImport", "getHealth"} <= ids


def test_a_duplicate_operation_id_is_refused_at_startup() -> None:
    first, second = APIRouter(prefix="/v1/a", tags=["things"]), APIRouter(prefix="/v1/b", tags=["things"])
    for router in (first, second):

        @router.get("/versions")
        async def list_versions(_: Officer) -> list[int]:
            return []

    with pytest.raises(RuntimeError, match="operationId 'listVersions' is used by GET /v1/a/versions"):
        _build(first, second)


def test_a_malformed_explicit_operation_id_is_refused_at_startup() -> None:
    router = APIRouter(prefix="/v1", tags=["things"])

    @router.get("/x", operation_id="get_x_v1_x_get")
    async def get_x(_: Officer) -> list[int]:
        return []

    with pytest.raises(RuntimeError, match="not short camelCase"):
        _build(router)


def test_a_tag_without_a_description_is_refused_at_startup() -> None:
    with pytest.raises(RuntimeError, match="tag 'things' has no description"):
        _build(tags=[])


def test_every_guarded_operation_requires_the_bearer_scheme() -> None:
    schema = _build().openapi()
    assert schema["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": schema["components"]["securitySchemes"]["bearer"]["description"],
    }
    operations = _operations(schema)
    assert operations["getResidentStatus"]["security"] == [{"bearer": []}]
    assert "security" not in operations["getHealth"]
    assert "openIdConnect" not in schema["components"]["securitySchemes"]


def test_an_identity_provider_adds_openid_connect_for_the_authorize_button() -> None:
    """With RS256 against Keycloak, /docs logs in at the realm's discovery document."""
    realm = "https://sso.benxi.example/realms/huimin"
    settings = _settings(
        jwt_algorithm="RS256", jwt_jwks_url=realm + "/protocol/openid-connect/certs", jwt_issuer=realm
    )
    schema = _build(settings=settings).openapi()
    assert schema["components"]["securitySchemes"]["openIdConnect"]["openIdConnectUrl"] == (
        realm + "/.well-known/openid-configuration"
    )
    requirement = _operations(schema)["createBatch"]["security"]
    assert requirement == [{"bearer": []}, {"openIdConnect": ["openid"]}]


def test_problem_responses_are_documented_as_problem_json_only() -> None:
    """401/403 where roles are checked, 422 where there is input to refuse; no application/json
    copy and no HTTPValidationError, which the services never send."""
    schema = _build().openapi()
    operations = _operations(schema)
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for identifier in ("getResidentStatus", "createBatch", "createImport"):
        for status in ("401", "403", "422"):
            assert operations[identifier]["responses"][status]["content"] == problem, (identifier, status)
    assert set(operations["listPacks"]["responses"]) == {"200", "401", "403"}
    assert "413" not in operations["createBatch"]["responses"]
    assert operations["importConfirmations"]["responses"]["413"]["content"] == problem  # a body limit
    assert "HTTPValidationError" not in schema["components"]["schemas"]


def test_schema_names_are_pascal_case_and_one_per_model() -> None:
    """A multipart body is <OperationId>Form, not Body_create_import_v1_imports_post."""
    schema = _build().openapi()
    names = set(schema["components"]["schemas"])
    assert "CreateImportForm" in names
    assert not [name for name in names if not re.match(r"^[A-Z][A-Za-z0-9]*$", name)]
    assert contract_problems(schema) == []


def test_contract_problems_names_what_breaks_the_contract() -> None:
    schema = _build().openapi()
    operation = schema["paths"]["/v1/batches"]["post"]
    del operation["security"]
    operation["responses"]["409"] = {"description": "x", "content": {"application/json": {}}}
    schema["components"]["schemas"]["Batch"].pop("examples")
    schema["info"]["description"] += " Then `createBatches`."
    assert contract_problems(schema) == [
        "POST /v1/batches: 409 is not an application/problem+json Problem",
        "POST /v1/batches: no security requirement",
        "POST /v1/batches: the request body has no example",
        "POST /v1/confirmations: the request body has no example",  # the same model
        "the description names `createBatches`, which is no operationId",
    ]


async def test_docs_pages_load_nothing_from_another_host() -> None:
    """/docs and /redoc work on a closed network: every script, style and icon is served here."""
    settings = _settings(
        oidc_discovery_url="https://sso.example/realms/huimin/.well-known/openid-configuration",
        oidc_client_id="huimin-docs",
    )
    async with api_client(_build(settings=settings)) as client:
        for page in ("/docs", "/redoc"):
            html = (await client.get(page)).text
            assert not re.findall(r"(?:src|href)=[\"']?(?:https?:)?//", html), page
            assets = re.findall(r"(?:src|href)=[\"'](/docs/assets/[^\"']+)", html)
            assert assets, page
            for asset in assets:
                response = await client.get(asset)
                assert response.status_code == 200, asset
                assert len(response.content) > 1000, asset
        swagger = (await client.get("/docs")).text
        assert '"clientId": "huimin-docs"' in swagger
        assert '"usePkceWithAuthorizationCodeGrant": true' in swagger
        assert (await client.get("/docs/oauth2-redirect")).status_code == 200
