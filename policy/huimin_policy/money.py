"""The money type of every stored amount: yuan with two decimals in NUMERIC(16, 2) (POLICY.md P6).

Sixteen digits hold 99,999,999,999,999.99 yuan: a province's year of ten million residents with room to
spare, and the sum of any amounts the services compute. The database type is built from these constants
in each service's models (``Numeric(MONEY_PRECISION, MONEY_SCALE)``); the Decimal helpers (parsing,
rounding, splitting) are platform code in ``huimin_shared.money``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

MONEY_PRECISION: Final = 16  # total digits of a money column
MONEY_SCALE: Final = 2  # fen: the smallest unit
MONEY_SQL_TYPE: Final = f"numeric({MONEY_PRECISION}, {MONEY_SCALE})"
# The largest amount a money column holds.
MAX_STORED_YUAN: Final = Decimal("9" * (MONEY_PRECISION - MONEY_SCALE) + "." + "9" * MONEY_SCALE)
