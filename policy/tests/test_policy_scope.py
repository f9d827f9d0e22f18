"""Which categories are subsidised where (E3 B§一(一), E4 N§一), read from the dated, cited packs."""

from hypothesis import given
from hypothesis import strategies as st

from huimin_policy.enums import Category
from huimin_policy.packs.files import shipped_packs
from huimin_policy.packs.model import Pack
from huimin_policy.scope import scope_for, scopes_of, shipped_scopes

NATIONAL = {Category.dibao, Category.severely_disabled, Category.low_income_elderly}
BENXI = {Category.dibao, Category.marginal}


def test_benxi_subsidises_dibao_and_marginal_people_in_every_district_and_county() -> None:
    """E3 (B§一(一)): in Benxi (210500 and its districts and counties) only dibao and marginal people."""
    for code in ("210500", "210502", "210503", "210504", "210505", "210521", "210522"):
        assert scope_for(code) == BENXI


def test_elsewhere_the_national_categories_apply() -> None:
    """E4 (N§一): dibao, severely disabled and low-income elderly people."""
    for code in ("510104", "210102", "110101", "not a code", ""):
        assert scope_for(code) == NATIONAL


def test_the_scopes_are_the_packs_categories() -> None:
    """Eligibility's scope is what premium prices: the `categories` of the same pack files."""
    packs = {p.id: p for p in shipped_packs()}
    scopes = shipped_scopes()
    assert scopes.by_city_prefix == {"2105": frozenset(packs["benxi"].categories)}
    assert scopes.national == frozenset(packs["national"].categories)


def _city_pack(region: str, categories: list[str], version: int = 1) -> Pack:
    benxi = next(p for p in shipped_packs() if p.id == "benxi").model_dump(mode="json")
    rates = {c: r for c, r in benxi["subsidy_rates"].items() if c in categories}
    return Pack.model_validate(
        {
            **benxi,
            "id": f"city-{region}",
            "version": version,
            "region": region,
            "categories": categories,
            "subsidy_rates": rates,
        }
    )


@given(st.sampled_from(["510100", "440300", "620100"]), st.integers(min_value=0, max_value=99))
def test_a_second_city_is_a_new_pack_not_a_new_release(region: str, district: int) -> None:
    """POLICY.md: a second city is a new pack. Its area codes take its categories; Benxi keeps its own."""
    national = [p for p in shipped_packs() if p.region is None]
    benxi = [p for p in shipped_packs() if p.id == "benxi"]
    scopes = scopes_of([*national, *benxi, _city_pack(region, ["dibao"])])
    assert scopes.by_city_prefix[region[:4]] == {Category.dibao}
    assert scopes.by_city_prefix["2105"] == BENXI
    assert scopes.national == NATIONAL
    assert f"{region[:4]}{district:02d}"[:4] in scopes.by_city_prefix


def test_the_latest_version_of_a_city_pack_decides_its_scope() -> None:
    national = [p for p in shipped_packs() if p.region is None]
    scopes = scopes_of(
        [*national, _city_pack("510100", ["dibao", "marginal"]), _city_pack("510100", ["dibao"], version=2)]
    )
    assert scopes.by_city_prefix["5101"] == {Category.dibao}
