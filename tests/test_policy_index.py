"""Every clause the code cites is in the repository's clause index, docs/policy.md (issue 10 item 3).

Citations are collected where users meet them: the policy packs' references (YAML), the premium
rules' cited figures (what quotes show as their working and assessment lines store), and every
string, docstring and document in the source that names a clause id. A citation that resolves to
no entry of docs/policy.md fails the test, naming it and where it was found."""

import ast
import itertools
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from huimin_policy.enums import Category
from huimin_policy.packs.files import shipped_packs
from huimin_policy.packs.model import Pack
from huimin_premium import parameters, rules
from huimin_shared.errors import Unprocessable

ROOT = Path(__file__).resolve().parent.parent
INDEX = ROOT / "docs" / "policy.md"
NUMERAL = "一二三四五六七八九十"
CLAUSE = re.compile(
    rf"(?<![A-Za-z0-9_§.-])(?:[EPSR][0-9]+|[BN]§[{NUMERAL}]+(?:\([{NUMERAL}]+\))?[0-9]*)(?![A-Za-z0-9_])"
)
SOURCE_FOLDERS = ("shared/huimin_shared", "policy/huimin_policy", "services", "cli/huimin_cli", "bench")
DOCUMENTS = (
    "README.md",
    "docs/architecture.md",
    "docs/deploy.md",
    *(f"services/{s}/README.md" for s in ("eligibility", "premium", "settlement")),
)


def indexed_clauses() -> set[str]:
    """The ids in the first column of docs/policy.md's tables."""
    found = set()
    for line in INDEX.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and CLAUSE.fullmatch(cells[0]):
            found.add(cells[0])
    return found


def clauses_in(text: str) -> set[str]:
    return set(CLAUSE.findall(text))


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def pack_citations() -> dict[str, set[str]]:
    cited: dict[str, set[str]] = {}
    folder = ROOT / "policy/huimin_policy/packs"
    paths = sorted(folder.glob("*.yaml"))
    assert paths, f"no pack files in {folder}"
    for path in paths:
        for text in _strings(yaml.safe_load(path.read_text(encoding="utf-8"))):
            for clause in clauses_in(text):
                cited.setdefault(clause, set()).add(str(path.relative_to(ROOT)))
    return cited


def _cited_figures(outcome: rules.Outcome) -> Iterator[parameters.Cited[Any]]:
    yield from (outcome.general_subsidy, outcome.individual_contribution, outcome.financing_standard)
    yield from (outcome.assistance_subsidy, outcome.resident_pays, outcome.total_resident_pays)
    yield from outcome.by_payer.values()
    if outcome.supplementary_premium is not None:
        yield outcome.supplementary_premium


def rule_citations() -> dict[str, set[str]]:
    """Every citation the calculator gives, over each shipped pack's years, every category alone and
    in pairs, each age group and a district, a county and a central and a western region."""
    packs: dict[str, Pack] = {pack.id: pack for pack in shipped_packs()}
    national = packs["national"]
    births = (date(1940, 5, 5), date(1980, 5, 5), date(2005, 5, 5))
    regions = ("210502", "210521", "410102", "510104")
    categories = list(Category)
    held_sets = [[c] for c in categories] + [list(pair) for pair in itertools.combinations(categories, 2)]
    cited: dict[str, set[str]] = {}
    for pack in packs.values():
        for year in range(2007, 2016):
            try:
                params = rules.resolve(pack, national, year)
            except Unprocessable:  # the pack is not in force that year
                continue
            for born, region, held in itertools.product(births, regions, held_sets):
                outcome = rules.calculate(
                    born, region, held, params, supplementary=params.supplementary_premium is not None
                )
                citations = [figure.citation for figure in _cited_figures(outcome)]
                citations += [candidate.citation for candidate in outcome.considered]
                for citation in citations:
                    for clause in clauses_in(citation):
                        cited.setdefault(clause, set()).add(f"{pack.id} {year} quote working: {citation}")
    return cited


def source_citations() -> dict[str, set[str]]:
    """Clause ids in the string literals and docstrings of the code, and in the documents."""
    cited: dict[str, set[str]] = {}
    for folder in SOURCE_FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if ".venv" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    for clause in clauses_in(node.value):
                        cited.setdefault(clause, set()).add(f"{path.relative_to(ROOT)}:{node.lineno}")
    for document in DOCUMENTS:
        for clause in clauses_in((ROOT / document).read_text(encoding="utf-8")):
            cited.setdefault(clause, set()).add(document)
    return cited


@pytest.mark.parametrize(
    "collect", [pack_citations, rule_citations, source_citations], ids=["packs", "rules", "source"]
)
def test_every_cited_clause_resolves_to_an_entry_of_docs_policy_md(collect: Any) -> None:
    cited: dict[str, set[str]] = collect()
    assert cited, "the collector found no citation at all: the pattern or the paths are wrong"
    unknown = {
        clause: sorted(where)[:3] for clause, where in cited.items() if clause not in indexed_clauses()
    }
    assert unknown == {}, f"cited but not in docs/policy.md: {unknown}"


def test_the_index_resolves_what_the_packs_cite_by_section_name() -> None:
    """Packs cite "reference data" and "what the notices leave open" besides clause ids."""
    headings = [
        line.lower() for line in INDEX.read_text(encoding="utf-8").splitlines() if line.startswith("#")
    ]
    packs = " ".join(
        text.lower()
        for path in (ROOT / "policy/huimin_policy/packs").glob("*.yaml")
        for text in _strings(yaml.safe_load(path.read_text(encoding="utf-8")))
    )
    for section in ("reference data", "what the notices leave open"):
        if section in packs:
            assert any(section in heading for heading in headings), section


def test_every_index_entry_names_its_source_notice_and_article() -> None:
    for line in INDEX.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and CLAUSE.fullmatch(cells[0]) and cells[0][0] in "EPSR":
            assert clauses_in(cells[-1]) or "GB 11643" in cells[-1] or "own" in cells[-1], line


def test_the_pattern_finds_the_forms_the_code_uses() -> None:
    text = "本政办发〔2009〕130号 B§一(二)2; N§二; P6, E1–E7 and S4 but not HS256, RS256 or e2e"
    assert clauses_in(text) == {"B§一(二)2", "N§二", "P6", "E1", "E7", "S4"}


def test_nothing_points_outside_the_repository_for_the_clauses() -> None:
    """The README, the docs and the code cite docs/policy.md, not a file beside the repository."""
    offending = []
    for path in [ROOT / d for d in DOCUMENTS] + [
        p for folder in SOURCE_FOLDERS for p in (ROOT / folder).rglob("*.py") if ".venv" not in p.parts
    ]:
        if "shared/POLICY.md" in path.read_text(encoding="utf-8"):
            offending.append(str(path.relative_to(ROOT)))
    assert offending == []
