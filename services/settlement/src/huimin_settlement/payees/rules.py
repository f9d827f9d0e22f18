"""Pure payee-account rules (B§四(四)): what an account number looks like, and how it is shown."""

from __future__ import annotations

import re

ACCOUNT_NUMBER = re.compile(r"^[0-9]{8,30}$")
KINDS = ("bank_account", "social_security_card")


def mask_account(number: str) -> str:
    """Only the last four digits are ever shown or logged: 6222020200112233445 → ***************3445."""
    return "*" * max(0, len(number) - 4) + number[-4:]


def account_problem(number: str) -> str | None:
    """Why an account number is refused, or None: 8 to 30 ASCII digits (bank card, 社会保障卡金融账户)."""
    if not ACCOUNT_NUMBER.match(number):
        return "an account number is 8 to 30 digits"
    return None
