"""How values are written on the wire, the same on both faces."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

__all__ = ["format_decimal", "format_timestamp"]


def format_timestamp(value: datetime) -> str:
    """RFC 3339 in UTC with a `Z`, e.g. `2024-01-15T10:30:00.123456Z`."""
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def format_decimal(value: Decimal) -> str:
    """Plain notation, never an exponent: `Decimal("1E+3")` is written `1000`."""
    return format(value, "f")
