"""Amounts: exact decimals written as strings ("100", "12.50"), never JSON numbers or floats."""

from __future__ import annotations

import re
from decimal import Context, Decimal, DivisionByZero, InvalidOperation, Overflow
from typing import Annotated

from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

__all__ = [
    "EXACT",
    "MAX_FRACTION_DIGITS",
    "MAX_INTEGER_DIGITS",
    "PositiveAmount",
    "at_scale",
    "decimal_places",
]

#: Arithmetic on amounts and balances: wide enough never to round (the default context keeps 28
#: significant digits, fewer than an amount of 30 + 18 digits, let alone a sum of them).
EXACT = Context(prec=200, traps=[InvalidOperation, DivisionByZero, Overflow])

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
    exponent = amount.normalize(EXACT).as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def at_scale(amount: Decimal, scale: int) -> Decimal:
    """`amount` written with exactly `scale` digits after the point ("10" → "10.00")."""
    return amount.quantize(Decimal(1).scaleb(-scale), context=EXACT)
