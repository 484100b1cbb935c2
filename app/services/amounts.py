"""Amounts: exact decimals written as strings ("100", "12.50"), never JSON numbers or floats."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated

from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

__all__ = ["MAX_FRACTION_DIGITS", "MAX_INTEGER_DIGITS", "PositiveAmount", "decimal_places"]

MAX_INTEGER_DIGITS = 30
MAX_FRACTION_DIGITS = 18
_PATTERN = f"^[0-9]{{1,{MAX_INTEGER_DIGITS}}}(\\.[0-9]{{1,{MAX_FRACTION_DIGITS}}})?$"
_AMOUNT = re.compile(_PATTERN)


def _positive_amount(text: object) -> Decimal:
    if not isinstance(text, str) or not _AMOUNT.fullmatch(text):
        raise PydanticCustomError(
            "invalid",
            'must be a decimal string such as "100" or "12.50" (at most {i} digits before the '
            "point and {f} after)",
            {"i": MAX_INTEGER_DIGITS, "f": MAX_FRACTION_DIGITS},
        )
    amount = Decimal(text)
    if amount <= 0:
        raise PydanticCustomError("invalid", "must be greater than zero")
    return amount


#: A positive decimal string, parsed to an exact `Decimal`.
PositiveAmount = Annotated[
    Decimal,
    BeforeValidator(_positive_amount),
    WithJsonSchema({"type": "string", "pattern": _PATTERN}),
]


def decimal_places(amount: Decimal) -> int:
    """How many digits after the point `amount` needs ("1.50" → 1, "100" → 0)."""
    exponent = amount.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0
