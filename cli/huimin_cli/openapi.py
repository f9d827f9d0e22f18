"""The three services' OpenAPI documents as files (docs/openapi/<service>.json), made from the code.

The documents are built with each service's default settings, read from no environment, so the
files are the same on every machine: HTTP bearer only (the OpenID Connect scheme appears when a
deployment configures an identity provider).
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

from huimin_cli.services import SERVICES, ServiceSpec

# Never connected to: building an app opens nothing, and the lifespan does not run here.
_NO_DATABASE = "postgresql+asyncpg://openapi-export.invalid/none"
DEFAULT_FOLDER = Path("docs/openapi")


def spec_of(service: ServiceSpec) -> dict[str, Any]:
    settings = service.settings_class.model_construct(database_url=_NO_DATABASE, log_json=False)
    module = importlib.import_module(service.app_factory.split(":")[0])
    schema: dict[str, Any] = module.create_app(settings).openapi()
    return schema


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def path_of(folder: Path, service: ServiceSpec) -> Path:
    return folder / f"{service.name}.json"


def export(folder: Path = DEFAULT_FOLDER) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for service in SERVICES:
        path = path_of(folder, service)
        path.write_text(render(spec_of(service)), encoding="utf-8")
        written.append(path)
    return written


def stale(folder: Path = DEFAULT_FOLDER) -> list[str]:
    """The services whose file in ``folder`` differs from what the code documents."""
    return [
        service.name
        for service in SERVICES
        if not path_of(folder, service).exists()
        or path_of(folder, service).read_text(encoding="utf-8") != render(spec_of(service))
    ]
