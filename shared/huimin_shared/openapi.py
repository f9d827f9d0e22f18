"""The API contract every huimin service publishes, decided here once for every route.

- Operation ids are short camelCase names made from the endpoint's name (``resident_status`` on a GET
  reads ``getResidentStatus``) unless the route sets ``operation_id``; ``build_app`` refuses a
  malformed or duplicate one, so a generated client never gets ``resident_status_v1_residents_…``.
- Security: HTTP bearer (JWT) always and OpenID Connect when an identity provider is configured, so
  Swagger's Authorize can log in against it; every role-checked operation requires one of them.
- Problem responses (RFC 9457, ``application/problem+json``) on every operation: 401 and 403 where
  roles are checked, 422 where there is input, 413 where a body has a size limit (FastAPI's
  ``max_body_size``), plus what each route declares itself.
- One schema per model: no ``-Input``/``-Output`` pair (``separate_input_output_schemas=False``),
  no ``Body_…`` or leaked generic names; ``contract_problems`` lists any breach of these rules.
- ``/docs`` and ``/redoc`` use the Swagger UI and ReDoc assets shipped in the fastapi-offline wheel,
  served by the service itself: the pages work on a network that reaches no CDN.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from fastapi import FastAPI, Request
from fastapi.dependencies.utils import get_flat_params
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from fastapi.staticfiles import StaticFiles

from huimin_shared.errors import PROBLEM_MEDIA_TYPE, Problem, problem_responses
from huimin_shared.settings import SharedSettings

OPERATION_ID = re.compile(r"^[a-z][a-zA-Z0-9]{2,39}$")
SCHEMA_NAME = re.compile(r"^[A-Z][A-Za-z0-9]*$")
PROBLEM_REF = "#/components/schemas/Problem"
BEARER = "bearer"
OPENID_CONNECT = "openIdConnect"

DOCS_URL = "/docs"
REDOC_URL = "/redoc"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
DOCS_ASSETS_URL = "/docs/assets"
_DOCS_ASSETS = files("fastapi_offline") / "static"

# A GET whose endpoint is named by a noun (``roster``) reads ``getRoster``; these already read as verbs.
_READING_VERBS = frozenset({"get", "list", "search", "find", "download", "export"})

OPERATIONS_TAG = {
    "name": "operations",
    "description": "Liveness, readiness (database up, migrations at head) and Prometheus metrics; no token.",
}


def operation_id(route: APIRoute) -> str:
    """The default operation id: the endpoint's name in camelCase, ``get`` in front of a GET's noun."""
    words = [word for word in route.name.lower().split("_") if word]
    if "GET" in (route.methods or ()) and words[0] not in _READING_VERBS:
        words.insert(0, "get")
    return words[0] + "".join(word.capitalize() for word in words[1:])


def _documented(routes: Iterable[Any]) -> list[RouteContext]:
    """The app's operations, through routers included lazily (``iter_route_contexts`` resolves them)."""
    return [
        context
        for context in iter_route_contexts(list(routes))
        if isinstance(context.original_route, APIRoute) and context.include_in_schema
    ]


def check_routes(routes: Iterable[Any], tags: list[dict[str, Any]]) -> None:
    """Refuse an operation id that is not short camelCase or that two operations share, and a tag
    without a description (/docs groups operations by tag and says what each group is for)."""
    described = {tag["name"] for tag in tags if tag.get("description")}
    seen: dict[str, str] = {}
    for route in _documented(routes):
        identifier = route.operation_id or route.unique_id
        where = f"{'/'.join(sorted(route.methods or ()))} {route.path}"
        if not OPERATION_ID.match(identifier):
            raise RuntimeError(
                f"{where}: operationId {identifier!r} is not short camelCase (3–40 letters and digits); "
                "rename the endpoint or set operation_id="
            )
        if identifier in seen:
            raise RuntimeError(
                f"operationId {identifier!r} is used by {seen[identifier]} and {where}; "
                "rename one endpoint or set operation_id="
            )
        seen[identifier] = where
        for tag in route.tags:
            if str(tag) not in described:
                raise RuntimeError(f"{where}: tag {tag!r} has no description in openapi_tags")


def security_requirement(settings: SharedSettings) -> list[dict[str, list[str]]]:
    """Either scheme admits a call: a pasted bearer token, or a login at the identity provider."""
    requirement: list[dict[str, list[str]]] = [{BEARER: []}]
    if settings.openid_configuration_url is not None:
        requirement.append({OPENID_CONNECT: ["openid"]})
    return requirement


def security_schemes(settings: SharedSettings) -> dict[str, Any]:
    schemes: dict[str, Any] = {
        BEARER: {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "A JWT from the identity provider, or in development from "
            "`huimin token --role civil_affairs` (roles in `realm_access.roles`, an optional `region`).",
        }
    }
    discovery = settings.openid_configuration_url
    if discovery is not None:
        schemes[OPENID_CONNECT] = {
            "type": "openIdConnect",
            "openIdConnectUrl": discovery,
            "description": "Log in at the identity provider (authorization code with PKCE).",
        }
    return schemes


@dataclass(frozen=True)
class OperationFacts:
    """What the problem responses of an operation follow from."""

    guarded: bool  # roles are checked: 401, 403
    has_input: bool  # parameters or a body to refuse: 422
    body_limited: bool  # a body with a size limit (FastAPI's max_body_size): 413


def _document_operation(operation: dict[str, Any], facts: OperationFacts, settings: SharedSettings) -> None:
    """Give an operation its security requirement and the problem responses it can give."""
    statuses: list[int] = []
    if facts.guarded:
        statuses += [401, 403]
        operation["security"] = security_requirement(settings)
    if facts.body_limited:
        statuses.append(413)
    if facts.has_input:
        statuses.append(422)  # request validation; replaces FastAPI's HTTPValidationError, never sent
    responses = operation.setdefault("responses", {})
    for status, response in problem_responses(*statuses).items():
        if str(status) == "422" or str(status) not in responses:
            responses[str(status)] = {
                **response,
                "description": responses.get(str(status), response)["description"],
            }
    operation["responses"] = dict(sorted(responses.items()))


def _operations_of(
    app: FastAPI, guarded: Callable[[APIRoute], bool]
) -> dict[tuple[str, str], OperationFacts]:
    found = {}
    app_limit = getattr(app, "max_body_size", None)
    for route in _documented(app.routes):
        original = route.original_route
        if not isinstance(original, APIRoute):  # _documented yields API routes only
            raise TypeError(f"{route.path} is not an API route")
        has_body = original.body_field is not None
        facts = OperationFacts(
            guarded=guarded(original),
            has_input=has_body or bool(get_flat_params(original.dependant)),
            body_limited=has_body and (route.max_body_size is not None or app_limit is not None),
        )
        for method in route.methods or ():
            found[(route.path or "", method.lower())] = facts
    return found


def _rename_refs(node: Any, renames: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {
            key: (
                _renamed_ref(value, renames)
                if key == "$ref" and isinstance(value, str)
                else _rename_refs(value, renames)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rename_refs(item, renames) for item in node]
    return node


def _renamed_ref(ref: str, renames: dict[str, str]) -> str:
    prefix = "#/components/schemas/"
    name = ref.removeprefix(prefix)
    return prefix + renames[name] if ref.startswith(prefix) and name in renames else ref


def _clean_names(schema: dict[str, Any]) -> dict[str, str]:
    """Names for the components FastAPI and pydantic name badly: a multipart body ``Body_<operationId>``
    becomes ``<OperationId>Form``; a parametrised generic (``Parameter_Annotated_Decimal__…``) takes
    its title, which ``model_parametrized_name`` chose (``MoneyParameter``)."""
    names = schema.get("components", {}).get("schemas", {})
    renames: dict[str, str] = {}
    for name, definition in names.items():
        if SCHEMA_NAME.match(name):
            continue
        title = str(definition.get("title", ""))
        if name.startswith("Body_"):
            renames[name] = name[5:6].upper() + name[6:] + "Form"
        elif SCHEMA_NAME.match(title) and title not in names:
            renames[name] = title
    return renames


def finish_schema(
    schema: dict[str, Any],
    settings: SharedSettings,
    operations: dict[tuple[str, str], OperationFacts],
) -> dict[str, Any]:
    """What FastAPI's generator does not do: security, problem responses, the Problem schema, clean
    names. ``operations`` holds each (path, method)'s facts."""
    for path, methods in schema.get("paths", {}).items():
        for method, operation in methods.items():
            facts = operations.get((path, method), OperationFacts(False, False, False))
            _document_operation(operation, facts, settings)
    renames = _clean_names(schema)
    if renames:
        schema = _rename_refs(schema, renames)
        components = schema["components"]["schemas"]
        schema["components"]["schemas"] = {
            renames.get(name, name): {**body, "title": renames[name]} if name in renames else body
            for name, body in components.items()
        }
    components = schema.setdefault("components", {})
    definitions = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    nested = definitions.pop("$defs", {})
    schemas = components.setdefault("schemas", {})
    schemas.setdefault("Problem", definitions)
    for name, definition in nested.items():
        schemas.setdefault(name, definition)
    for unused in ("HTTPValidationError", "ValidationError"):  # FastAPI's 422 body, replaced by Problem
        schemas.pop(unused, None)
    components["schemas"] = dict(sorted(schemas.items()))
    components["securitySchemes"] = security_schemes(settings)
    return schema


def install_openapi(app: FastAPI, settings: SharedSettings, guarded: Callable[[APIRoute], bool]) -> None:
    """``guarded(route)``: whether the route checks roles (and so needs a token)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
                separate_input_output_schemas=app.separate_input_output_schemas,
            )
            app.openapi_schema = finish_schema(schema, settings, _operations_of(app, guarded))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def add_docs_pages(app: FastAPI, settings: SharedSettings) -> None:
    """Swagger UI at /docs and ReDoc at /redoc, their scripts and styles served from this app."""
    app.mount(DOCS_ASSETS_URL, StaticFiles(directory=str(_DOCS_ASSETS)), name="docs-assets")
    init_oauth: dict[str, Any] | None = None
    if settings.openid_configuration_url is not None:
        init_oauth = {"usePkceWithAuthorizationCodeGrant": True, "scopes": "openid"}
        if settings.oidc_client_id is not None:
            init_oauth["clientId"] = settings.oidc_client_id

    def asset(request: Request, name: str) -> str:
        return f"{request.scope.get('root_path', '')}{DOCS_ASSETS_URL}/{name}"

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} — Swagger UI",
            oauth2_redirect_url=f"{root}{OAUTH2_REDIRECT_URL}",
            swagger_js_url=asset(request, "swagger-ui-bundle.js"),
            swagger_css_url=asset(request, "swagger-ui.css"),
            swagger_favicon_url=asset(request, "favicon.png"),
            init_oauth=init_oauth,
            swagger_ui_parameters={"persistAuthorization": True},
        )

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    async def swagger_ui_oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(REDOC_URL, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} — ReDoc",
            redoc_js_url=asset(request, "redoc.standalone.js"),
            redoc_favicon_url=asset(request, "favicon.png"),
            with_google_fonts=False,
        )


def _problem_only(response: dict[str, Any]) -> bool:
    content = response.get("content", {})
    return list(content) == [PROBLEM_MEDIA_TYPE] and content[PROBLEM_MEDIA_TYPE].get("schema") == {
        "$ref": PROBLEM_REF
    }


def _has_example(schema: dict[str, Any], media: dict[str, Any], components: dict[str, Any]) -> bool:
    if "example" in media or "examples" in media:
        return True
    ref = schema.get("$ref", "")
    target = components.get(ref.rsplit("/", 1)[-1], {}) if ref else schema
    return bool(target.get("examples") or target.get("example"))


def contract_problems(schema: dict[str, Any]) -> list[str]:
    """Every way ``schema`` breaks the contract above; empty when it keeps it."""
    problems: list[str] = []
    components = schema.get("components", {}).get("schemas", {})
    problems += [
        f"schema name {name!r} is not PascalCase" for name in components if not SCHEMA_NAME.match(name)
    ]
    described = {tag["name"] for tag in schema.get("tags", []) if tag.get("description")}
    seen: set[str] = set()
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            identifier = operation.get("operationId", "")
            if not OPERATION_ID.match(identifier) or identifier in seen:
                problems.append(f"{where}: operationId {identifier!r} is malformed or repeated")
            seen.add(identifier)
            problems += [
                f"{where}: tag {tag!r} has no description"
                for tag in operation.get("tags", [])
                if tag not in described
            ]
            responses = operation.get("responses", {})
            problems += [
                f"{where}: {status} is not an application/problem+json Problem"
                for status, response in responses.items()
                if status[0] in "45" and not _problem_only(response) and path.startswith("/v1")
            ]
            if not path.startswith("/v1"):
                continue
            if not operation.get("security"):
                problems.append(f"{where}: no security requirement")
            problems += [
                f"{where}: {status} not documented" for status in ("401", "403") if status not in responses
            ]
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None and not _has_example(body.get("schema", {}), body, components):
                problems.append(f"{where}: the request body has no example")
    named = set(re.findall(r"`([a-z]+[A-Z][A-Za-z0-9]*)`", schema.get("info", {}).get("description", "")))
    problems += [f"the description names `{name}`, which is no operationId" for name in sorted(named - seen)]
    return problems
