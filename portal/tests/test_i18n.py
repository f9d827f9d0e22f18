"""zh-CN first, every label also in English: no page shows a key or a missing translation."""

import re
import string
from pathlib import Path

import pytest

import huimin_portal
from huimin_portal import i18n

PACKAGE = Path(huimin_portal.__file__).parent
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z0-9_.]+)["']""")
PREFIXED_KEY = re.compile(r"""\bt\(\s*["']([a-z0-9_.]+\.)["']\s*~""")
TRANSLATE_CALL = re.compile(r"""translate\(\s*lang,\s*f?["']([a-z0-9_.]+)""")


def _sources() -> list[Path]:
    return [*PACKAGE.glob("templates/*.html"), *PACKAGE.glob("*.py")]


def test_every_label_a_page_asks_for_exists() -> None:
    used = set()
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        used |= set(LITERAL_KEY.findall(text)) | set(TRANSLATE_CALL.findall(text))
    missing = sorted(key for key in used if key not in i18n.MESSAGES and not key.endswith("."))
    assert missing == []


def test_every_family_of_labels_built_from_api_values_has_members() -> None:
    """t("category." ~ value) and the like: each prefix names a family of labels that exists."""
    prefixes = set()
    for path in PACKAGE.glob("templates/*.html"):
        prefixes |= set(PREFIXED_KEY.findall(path.read_text(encoding="utf-8")))
    empty = sorted(p for p in prefixes if not any(key.startswith(p) for key in i18n.MESSAGES))
    assert empty == []


def test_every_label_has_chinese_and_english_with_the_same_placeholders() -> None:
    for key, (chinese, english) in i18n.MESSAGES.items():
        assert chinese.strip(), key
        assert english.strip(), key
        fields = [
            {name for _, name, _, _ in string.Formatter().parse(text) if name} for text in (chinese, english)
        ]
        assert fields[0] == fields[1], key


def test_chinese_is_the_default_and_english_is_there() -> None:
    assert i18n.DEFAULT_LANGUAGE == "zh"
    assert i18n.translate("zh", "nav.residents") == "居民查询"
    assert i18n.translate("en", "nav.residents") == "Residents"
    assert i18n.translate("en", "status.eligible", on="2010-03-01") == "Subsidised on 2010-03-01"
    assert i18n.translate("en", "no.such.label", default="fallback") == "fallback"


def test_a_label_without_both_languages_is_refused_when_the_table_is_read() -> None:
    assert i18n.parse('"a.b" = { zh = "甲", en = "A" }') == {"a.b": ("甲", "A")}
    with pytest.raises(ValueError, match=r"'a\.b' needs both zh and en"):
        i18n.parse('"a.b" = { zh = "甲" }')


def test_the_label_table_ships_inside_the_package() -> None:
    """messages.toml sits in huimin_portal/, which hatch packs whole into the wheel (pyproject)."""
    assert (PACKAGE / "messages.toml").is_file()
