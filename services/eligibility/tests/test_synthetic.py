"""The shared synthetic-resident generator (huimin_shared.synthetic) keeps its promises."""

from collections import Counter
from datetime import date
from itertools import islice
from types import GeneratorType

from huimin_shared import idnumber
from huimin_shared.areas import BENXI_DISTRICTS_AND_COUNTIES
from huimin_shared.synthetic import SyntheticResident, synthetic_residents

YEAR = 2010


def _age_group(born: date) -> str:
    age = YEAR - born.year - ((born.month, born.day) > (1, 1))
    return "minor" if age < 18 else "elderly" if age >= 60 else "adult"


def test_every_id_number_is_valid_unique_benxi_and_carries_the_birth_date_and_sex() -> None:
    """E1: valid GB 11643 numbers, area code one of Benxi's six, unique within a seed."""
    residents = list(synthetic_residents(20_000, year=YEAR, seed=7))
    assert len({r.id_number for r in residents}) == 20_000
    for resident in residents:
        parsed = idnumber.parse(resident.id_number)
        assert parsed.area_code in BENXI_DISTRICTS_AND_COUNTIES
        assert parsed.birth_date == resident.birth_date
        assert parsed.sex == resident.sex
        assert resident.region_code in BENXI_DISTRICTS_AND_COUNTIES
        assert resident.birth_date < date(YEAR, 1, 1)


def test_same_seed_same_residents_other_seed_other_residents() -> None:
    first = list(synthetic_residents(500, seed=3))
    assert first == list(synthetic_residents(500, seed=3))
    assert [r.id_number for r in first] != [r.id_number for r in synthetic_residents(500, seed=4)]


def test_it_streams_and_a_prefix_is_the_same_people() -> None:
    """A generator, so a million residents never sit in a list; count=10 is the first 10 of count=1000."""
    stream = synthetic_residents(1_000_000, seed=1)
    assert isinstance(stream, GeneratorType)
    assert list(islice(stream, 10)) == list(synthetic_residents(10, seed=1))


def test_the_mix_is_realistic() -> None:
    """About 15/65/20 % minor/adult/elderly on 1 January (POLICY age-group default), 70/30 dibao/marginal,
    ~10 % joining, ~8 % exiting (E5), a few % with employee insurance (E3), a few % already paid (B§四(四))."""
    residents: list[SyntheticResident] = list(synthetic_residents(20_000, year=YEAR, seed=11))
    n = len(residents)
    ages = Counter(_age_group(r.birth_date) for r in residents)
    assert 0.12 < ages["minor"] / n < 0.18
    assert 0.60 < ages["adult"] / n < 0.70
    assert 0.17 < ages["elderly"] / n < 0.23
    first_categories = Counter(r.certifications[0].category for r in residents)
    assert 0.66 < first_categories["dibao"] / n < 0.74
    both = sum(1 for r in residents if {c.category for c in r.certifications} == {"dibao", "marginal"})
    assert 0.01 < both / n < 0.06
    joining = [r for r in residents if r.certifications[0].valid_from > date(YEAR, 1, 1)]
    assert 0.08 < len(joining) / n < 0.12
    assert all(date(YEAR, 1, 2) <= r.certifications[0].valid_from <= date(YEAR, 12, 31) for r in joining)
    exiting = [r for r in residents if r.certifications[0].valid_to is not None]
    assert 0.06 < len(exiting) / n < 0.10
    assert all(
        date(YEAR, 1, 1) <= (r.certifications[0].valid_to or date.min) <= date(YEAR, 12, 31) for r in exiting
    )
    employee = sum(1 for r in residents if r.employee_insurance_since is not None)
    assert 0.01 < employee / n < 0.06
    paid = [r for r in residents if r.already_paid]
    assert 0.01 < len(paid) / n < 0.06
    assert all(r.certifications[0].valid_from > date(YEAR, 1, 1) for r in paid)


def test_age_group_edges_on_1_and_2_january_are_present() -> None:
    """Born 1 January (year-18) is 18 on the reference date; born 2 January (year-18) is 17."""
    births = {r.birth_date for r in synthetic_residents(20_000, year=YEAR, seed=5)}
    assert date(YEAR - 18, 1, 1) in births
    assert date(YEAR - 18, 1, 2) in births
    assert date(YEAR - 60, 1, 1) in births
    assert date(YEAR - 60, 1, 2) in births


def test_certifications_of_one_person_never_overlap_in_one_category() -> None:
    for resident in synthetic_residents(5_000, seed=2):
        categories = [c.category for c in resident.certifications]
        assert len(categories) == len(set(categories))
        for certification in resident.certifications:
            assert certification.valid_to is None or certification.valid_to >= certification.valid_from
            assert certification.valid_from >= resident.birth_date
