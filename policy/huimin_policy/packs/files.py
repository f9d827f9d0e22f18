"""The shipped packs, read from the YAML files beside this module (package data, via importlib.resources).

The only reading the policy package does: a malformed pack fails here, so every service that reads the
packs refuses to start with it."""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from typing import Any

import yaml

from huimin_policy.packs.model import Pack


def canonical_json(content: dict[str, Any]) -> str:
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def content_hash(pack: Pack) -> str:
    """sha256 of the pack's canonical JSON: a changed file with an unchanged version is refused."""
    return hashlib.sha256(canonical_json(pack.model_dump(mode="json")).encode()).hexdigest()


def parse_pack(text: str) -> Pack:
    return Pack.model_validate(yaml.safe_load(text))


def shipped_packs() -> list[Pack]:
    """Every ``*.yaml`` in this package, validated (a malformed pack stops the service starting)."""
    folder = resources.files("huimin_policy.packs")
    packs = [
        parse_pack(entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".yaml")
    ]
    return sorted(packs, key=lambda pack: (pack.id, pack.version))


def restated(
    content: dict[str, Any],
    version: int,
    years: list[int],
    reference: str,
    general_subsidy: dict[int, str] | None = None,
) -> dict[str, Any]:
    """A pack's content as a new version restating, for each of ``years``, every parameter's value in
    force on 1 January of that year, cited to ``reference`` (the notice or decision that restates it);
    ``general_subsidy`` gives a year's new general subsidy (it rises every year nationally).

    A pack covers only the years its values are dated in; when a city keeps its figures for a new year,
    the new version says so explicitly, value by value, instead of the old figures being carried silently.
    """

    def restate(node: Any) -> Any:
        if isinstance(node, dict) and isinstance(node.get("values"), dict) and "description" in node:
            values = dict(node["values"])
            for year in years:
                on = f"{year}-01-01"
                in_force = [day for day in values if day <= on]
                if in_force and on not in values:
                    values[on] = {**values[max(in_force)], "reference": reference}
            return {**node, "values": values}
        if isinstance(node, dict):
            return {key: restate(value) for key, value in node.items()}
        if isinstance(node, list):
            return [restate(item) for item in node]
        return node

    new = restate(content)
    for year, amount in (general_subsidy or {}).items():
        for group in new["base_amounts"]["general_subsidy"].values():
            group["values"][f"{year}-01-01"] = {"value": amount, "reference": reference, "illustrative": True}
    return {**new, "version": version}
