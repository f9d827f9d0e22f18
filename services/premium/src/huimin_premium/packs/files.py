"""The packs shipped with the service, read from the YAML files beside this module."""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from typing import Any

import yaml

from huimin_premium.packs.schemas import Pack


def canonical_json(content: dict[str, Any]) -> str:
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def content_hash(pack: Pack) -> str:
    """sha256 of the pack's canonical JSON: a changed file with an unchanged version is refused."""
    return hashlib.sha256(canonical_json(pack.model_dump(mode="json")).encode()).hexdigest()


def parse_pack(text: str) -> Pack:
    return Pack.model_validate(yaml.safe_load(text))


def shipped_packs() -> list[Pack]:
    """Every ``*.yaml`` in this package, validated (a malformed pack stops the service starting)."""
    folder = resources.files("huimin_premium.packs")
    packs = [
        parse_pack(entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".yaml")
    ]
    return sorted(packs, key=lambda pack: (pack.id, pack.version))
