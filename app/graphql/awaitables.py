"""Whether a value is awaitable, asked of every value a GraphQL response completes."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from types import GeneratorType
from typing import Any

from strawberry.execution import optimized_is_awaitable

__all__ = ["NEVER_AWAITABLE", "is_awaitable"]

#: Types whose instances are never awaitable; grows as `is_awaitable` meets more.
NEVER_AWAITABLE: set[type] = {
    type(None),
    bool,
    int,
    float,
    str,
    bytes,
    list,
    tuple,
    dict,
    uuid.UUID,
    Decimal,
    datetime,
}


def is_awaitable(value: Any) -> bool:
    """Strawberry's `optimized_is_awaitable`, answered by type for types known to be plain.

    It is asked of every value a page completes (~4,000), and outside its short list of
    built-ins it checks each instance at length. A type whose instances have no `__dict__`
    cannot be made awaitable per instance, so once one instance is not, none is (generators,
    which are awaitable by a flag on the instance, aside).
    """
    kind = type(value)
    if kind in NEVER_AWAITABLE:
        return False
    if optimized_is_awaitable(value):
        return True
    if not hasattr(value, "__dict__") and kind is not GeneratorType:
        NEVER_AWAITABLE.add(kind)
    return False
