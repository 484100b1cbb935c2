"""Whether a value is awaitable, asked of every value a GraphQL response completes."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from types import GeneratorType
from typing import Any

from strawberry.execution import optimized_is_awaitable

__all__ = ["NEVER_AWAITABLE", "is_awaitable", "register_output_types"]

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


def register_output_types(types: Iterable[type]) -> None:
    """Count the app's own GraphQL object types (their Python classes) as never awaitable.

    Their instances have a `__dict__`, so `is_awaitable` would check each one at length (a
    page's edges, programs and assets: hundreds). The app builds them and never gives one an
    `__await__`; a class that defines one itself is left out.
    """
    NEVER_AWAITABLE.update(kind for kind in types if not hasattr(kind, "__await__"))
