"""Resident ID numbers, GB 11643-1999 (POLICY.md E1).

18 characters: a 6-digit area code (where the person was first registered, not where they
live now), an 8-digit birth date, a 3-digit sequence whose last digit is odd for men and even
for women, and an ISO 7064 MOD 11-2 check character (0-9 or X).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"  # indexed by the weighted sum mod 11
EARLIEST_BIRTH_DATE = date(1800, 1, 1)

# Anything that may hold an ID number, for masking logs: every run of 15 or more digits (any script's
# digits, full-width included, since a typo or an odd keyboard must not leak a number either), with
# an X right after it, whatever surrounds it — letters ("…0018a"), other digits (a number joined to
# another), punctuation. A run longer than an ID number is masked whole.
ID_NUMBER_PATTERN = re.compile(r"\d{14,}[\dXx]")
_EIGHTEEN = re.compile(r"[0-9]{17}[0-9X]")
_FIFTEEN = re.compile(r"[0-9]{15}")


class InvalidIdNumber(ValueError):
    """Raised with a reason a clerk can act on."""


class Sex(StrEnum):
    male = "male"
    female = "female"


@dataclass(frozen=True, slots=True)
class IdNumber:
    number: str
    area_code: str
    birth_date: date
    sex: Sex

    def __str__(self) -> str:
        return self.number

    @property
    def masked(self) -> str:
        return mask(self.number)


def check_character(first_17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first_17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def normalize(raw: str) -> str:
    """Full-width digits and a lower-case x are the same number typed on a Chinese keyboard."""
    return unicodedata.normalize("NFKC", raw).strip().upper()


def _birth_date(text: str, today: date | None) -> date:
    try:
        born = date(int(text[0:4]), int(text[4:6]), int(text[6:8]))
    except ValueError as exc:
        raise InvalidIdNumber(f"birth date {text} (characters 7-14) is not a real date") from exc
    if born < EARLIEST_BIRTH_DATE:
        raise InvalidIdNumber(f"birth date {born.isoformat()} is before {EARLIEST_BIRTH_DATE.isoformat()}")
    if today is not None and born > today:
        raise InvalidIdNumber(f"birth date {born.isoformat()} is in the future")
    return born


def convert_15_to_18(number15: str) -> str:
    """Legacy 15-digit form: insert "19" before the two-digit year and add the check character."""
    if len(number15) != 15 or not number15.isdigit():
        raise InvalidIdNumber("a 15-digit ID number has 15 digits")
    first_17 = number15[:6] + "19" + number15[6:]
    return first_17 + check_character(first_17)


def parse(raw: str, *, today: date | None = None, accept_15: bool = True) -> IdNumber:
    """Validate an ID number and read its birth date and sex.

    Accepts the legacy 15-digit form (converted to 18) unless ``accept_15`` is false.
    ``today`` refuses birth dates after it; leave it out to skip that check.
    """
    number = normalize(raw)
    if len(number) == 15 and accept_15:
        if not _FIFTEEN.fullmatch(number):
            raise InvalidIdNumber("a 15-digit ID number has only the digits 0-9")
        _birth_date("19" + number[6:12], today)
        number = convert_15_to_18(number)
    if len(number) != 18:
        raise InvalidIdNumber(f"an ID number has 18 characters, this one has {len(number)}")
    # ASCII only: str.isdigit() also admits Arabic-Indic and other digits NFKC leaves alone.
    if not _EIGHTEEN.fullmatch(number):
        raise InvalidIdNumber("an ID number is 17 digits 0-9 followed by a digit or X")
    first_17, check = number[:17], number[17]
    born = _birth_date(number[6:14], today)
    expected = check_character(first_17)
    if check != expected:
        raise InvalidIdNumber(f"check character is {check}, but the first 17 digits give {expected}")
    sex = Sex.male if int(number[16]) % 2 == 1 else Sex.female
    return IdNumber(number=number, area_code=number[:6], birth_date=born, sex=sex)


def is_valid(raw: str) -> bool:
    try:
        parse(raw)
    except InvalidIdNumber:
        return False
    return True


def mask(number: str) -> str:
    """First 6 and last 4 visible (R2): 210502********1234."""
    if len(number) <= 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_in_text(text: str) -> str:
    """Mask every ID-number-shaped run in free text (log lines, paths, error messages)."""
    return ID_NUMBER_PATTERN.sub(lambda m: mask(m.group(0)), text)


def _validate_id_number(value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidIdNumber("an ID number is a string of 18 characters")
    return parse(value).number


ResidentIdNumber = Annotated[
    str,
    BeforeValidator(_validate_id_number),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\d{17}[\dX]$",
            "examples": ["210502198001011234"],
            "description": (
                "Resident ID number (公民身份号码, GB 11643-1999), 18 characters. "
                "A lower-case x and full-width digits are accepted and normalised; "
                "the legacy 15-digit form is converted."
            ),
        }
    ),
]
"""A pydantic field type: validated, normalised to 18 characters with an upper-case X."""
