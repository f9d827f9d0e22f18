"""Resident ID numbers, GB 11643-1999 (POLICY.md E1)."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huimin_shared import idnumber
from huimin_shared.idnumber import InvalidIdNumber, Sex

# Worked by hand from POLICY.md's reference data: weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2.
# 2·7+1·9+0·10+5·5+0·8+2·4+1·2+9·1+8·6+0·3+0·7+1·9+0·10+1·5+1·8+2·4+3·2 = 151; 151 mod 11 = 8 → "4".
WORKED = "210502198001011234"


def test_the_worked_example_is_valid_and_reads_birth_date_and_sex() -> None:
    parsed = idnumber.parse(WORKED)
    assert parsed.area_code == "210502"
    assert parsed.birth_date == date(1980, 1, 1)
    assert parsed.sex is Sex.male  # 17th digit 3 is odd


def test_the_15_digit_form_converts_by_inserting_19_and_adding_the_check_character() -> None:
    """POLICY.md reference data: 210502800101123 → 210502198001011234."""
    assert idnumber.convert_15_to_18("210502800101123") == WORKED
    assert idnumber.parse("210502800101123").number == WORKED


def test_a_wrong_check_character_is_refused_with_the_expected_one() -> None:
    with pytest.raises(InvalidIdNumber, match="first 17 digits give 4"):
        idnumber.parse("210502198001011235")


@pytest.mark.parametrize("birth", ["19800230", "19801301", "19800001", "19810229"])
def test_an_impossible_birth_date_is_refused(birth: str) -> None:
    first_17 = "210502" + birth + "123"
    with pytest.raises(InvalidIdNumber, match="not a real date"):
        idnumber.parse(first_17 + idnumber.check_character(first_17))


def test_a_future_birth_date_is_refused_when_today_is_given() -> None:
    first_17 = "210502" + "20300101" + "123"
    with pytest.raises(InvalidIdNumber, match="in the future"):
        idnumber.parse(first_17 + idnumber.check_character(first_17), today=date(2026, 11, 26))


def test_a_lower_case_x_is_the_same_check_character() -> None:
    first_17 = "11010519491231002"
    assert idnumber.check_character(first_17) == "X"
    assert idnumber.parse(first_17 + "x").number == first_17 + "X"


def test_full_width_digits_are_normalised() -> None:
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in WORKED)
    assert idnumber.parse(full_width).number == WORKED


def test_digits_of_other_scripts_are_refused() -> None:
    """E1: Arabic-Indic digits pass str.isdigit() and survive NFKC; they must not make a second
    spelling of one person's number."""
    arabic_indic = "".join(chr(0x0660 + int(c)) for c in "21050219800101104") + "X"
    with pytest.raises(InvalidIdNumber, match="17 digits 0-9"):
        idnumber.parse(arabic_indic)


@pytest.mark.parametrize(
    "text",
    [
        "/v1/residents/21050219800101123/status",  # 17 digits: a typo still identifies the person
        "/v1/residents/2105021980010112345/status",  # 19 digits
        "/v1/residents/２１０５０２１９８００１０１１２３４/status",  # full-width
    ],
)
def test_near_misses_and_full_width_numbers_are_masked_in_logs(text: str) -> None:
    masked = idnumber.mask_in_text(text)
    assert "19800101" not in masked
    assert "１９８００１０１" not in masked
    assert "*" in masked


def test_the_sequence_digit_gives_the_sex() -> None:
    first_17 = "21050219800101124"  # 17th digit 4 is even
    assert idnumber.parse(first_17 + idnumber.check_character(first_17)).sex is Sex.female


@pytest.mark.parametrize(
    "raw", ["", "21050219800101123", "2105021980010112345", "21050219800101123A", "ABCDEFGHIJKLMNOPQR"]
)
def test_malformed_numbers_are_refused(raw: str) -> None:
    with pytest.raises(InvalidIdNumber):
        idnumber.parse(raw)


def test_masking_shows_the_first_six_and_last_four() -> None:
    """R2: the disclosure list shows no more of the number than needed."""
    assert idnumber.mask(WORKED) == "210502********1234"
    assert idnumber.mask_in_text(f"looked up /v1/residents/{WORKED}/status") == (
        "looked up /v1/residents/210502********1234/status"
    )


valid_numbers = st.builds(
    lambda area, born, seq: area + born.strftime("%Y%m%d") + f"{seq:03d}",
    st.sampled_from(["210502", "210503", "210504", "210505", "210521", "210522", "510104"]),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 1, 1)),
    st.integers(min_value=0, max_value=999),
).map(lambda first_17: first_17 + idnumber.check_character(first_17))


@given(valid_numbers)
def test_every_generated_valid_number_parses_back_to_itself(number: str) -> None:
    parsed = idnumber.parse(number)
    assert parsed.number == number
    assert parsed.birth_date.strftime("%Y%m%d") == number[6:14]


@given(valid_numbers, st.integers(min_value=0, max_value=16), st.integers(min_value=1, max_value=9))
def test_any_single_digit_corruption_is_caught(number: str, position: int, shift: int) -> None:
    """MOD 11-2 detects every single-character substitution."""
    corrupted_digit = str((int(number[position]) + shift) % 10)
    corrupted = number[:position] + corrupted_digit + number[position + 1 :]
    assert not idnumber.is_valid(corrupted)


@given(valid_numbers)
def test_masking_never_leaves_the_birth_date_visible(number: str) -> None:
    assert number[6:14] not in idnumber.mask_in_text(f"id={number}")


hostile_text = st.text(alphabet=st.sampled_from("0123456789Xxa-/ _.１９٣\n") | st.characters(), max_size=40)
id_shaped = st.builds(
    lambda digits, last: digits + last,
    st.text(alphabet="0123456789", min_size=17, max_size=17),
    st.sampled_from("0123456789Xx"),
)


@given(hostile_text, id_shaped, hostile_text)
def test_no_id_number_survives_masking_whatever_surrounds_it(prefix: str, number: str, suffix: str) -> None:
    """R2 / logs: every 17-digit run followed by a digit or X is masked — followed by letters, joined to
    other digits, inside any text; the birth date and sequence never stay readable."""
    masked = idnumber.mask_in_text(prefix + number + suffix)
    assert number[:17] not in masked
    assert number[6:17] not in masked
    assert idnumber.mask_in_text(masked) == masked  # masking twice changes nothing


@pytest.mark.parametrize(
    "text",
    [
        "/v1/residents/210503195804260018a",  # followed by a letter
        "/v1/residents/210503195804260018abc/status",
        "ref=99210503195804260018",  # joined to other digits before
        "ref=21050319580426001877",  # … and after
        "21050319580426001X5",  # X then a digit
        "id:21050319580426001xyz",
    ],
)
def test_id_numbers_followed_by_letters_or_joined_to_digits_are_masked(text: str) -> None:
    assert "19580426" not in idnumber.mask_in_text(text)
