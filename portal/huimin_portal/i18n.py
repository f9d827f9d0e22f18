"""Every label of the portal in Simplified Chinese (first) and English.

The labels live in ``messages.toml`` beside this module (shipped in the wheel), one line a label with its
``zh`` and ``en`` text: a label missing in either language fails `tests/test_i18n.py`, and a row without
both is refused when the portal starts. Details that come from the APIs (problem details, field reasons)
are shown as the service wrote them, marked ``lang="en"``.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"


def parse(text: str) -> dict[str, tuple[str, str]]:
    """The label table from messages.toml's text; a row without both zh and en text is refused."""
    messages: dict[str, tuple[str, str]] = {}
    for key, row in tomllib.loads(text).items():
        if not isinstance(row, dict) or not all(isinstance(row.get(lang), str) for lang in LANGUAGES):
            raise ValueError(f"messages.toml: {key!r} needs both zh and en text")
        messages[key] = (row["zh"], row["en"])
    return messages


MESSAGES: dict[str, tuple[str, str]] = parse(
    resources.files("huimin_portal").joinpath("messages.toml").read_text(encoding="utf-8")
)


def translate(lang: str, key: str, /, default: str | None = None, **values: Any) -> str:
    """The label ``key`` in ``lang`` (zh or en) with ``values`` filled in; ``default`` (or the key) if none."""
    entry = MESSAGES.get(key)
    if entry is None:
        return default if default is not None else key
    text = entry[LANGUAGES.index(lang) if lang in LANGUAGES else 0]
    return text.format(**values) if values else text
