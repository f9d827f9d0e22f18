"""Which categories are subsidised where (E3, E4): read from the shipped packs, so eligibility and premium
judge the same dated, cited facts.

A city pack (``region`` a city's area code, e.g. 210500 for Benxi) governs every area code of that city
(the same first four digits); anywhere else the national pack's categories apply. The scope is the
categories of the latest shipped version of that pack: eligibility's answers are not dated by cover year
(E7 counts Benxi's dibao and marginal people on 2009-10-31, before the Benxi pack takes effect).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache

from huimin_policy.enums import Category
from huimin_policy.packs.files import shipped_packs
from huimin_policy.packs.model import Pack
from huimin_shared import areas


@dataclass(frozen=True, slots=True)
class Scopes:
    """The subsidised categories: by city (the first four digits of its area code) and elsewhere."""

    by_city_prefix: Mapping[str, frozenset[Category]]
    national: frozenset[Category]


def scopes_of(packs: list[Pack]) -> Scopes:
    """The latest version of each pack decides; exactly one national pack (no region) must be among them."""
    latest: dict[str, Pack] = {}
    for pack in sorted(packs, key=lambda p: (p.id, p.version)):
        latest[pack.id] = pack
    national = [p for p in latest.values() if p.region is None]
    if len(national) != 1:
        raise ValueError(f"the packs need exactly one national pack, not {len(national)}")
    return Scopes(
        by_city_prefix={
            p.region[:4]: frozenset(p.categories) for p in latest.values() if p.region is not None
        },
        national=frozenset(national[0].categories),
    )


@cache
def shipped_scopes() -> Scopes:
    """The scopes of the packs shipped in this package (read once per process)."""
    return scopes_of(shipped_packs())


@lru_cache(maxsize=4096)
def scope_for(region_code: str) -> frozenset[Category]:
    """E3 (B§一(一)) in a city with its own pack, E4 (N§一) elsewhere: the categories subsidised where the
    person lives (the area code of their registration record)."""
    scopes = shipped_scopes()
    if areas.is_area_code(region_code):
        local = scopes.by_city_prefix.get(region_code[:4])
        if local is not None:
            return local
    return scopes.national
