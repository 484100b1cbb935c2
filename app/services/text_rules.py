"""Rules for text any field may be held to (pydantic validators raising the API's reasons)."""

from __future__ import annotations

import unicodedata

from pydantic_core import PydanticCustomError

__all__ = ["is_storable_text", "no_controls", "not_blank", "storable"]


def no_controls(value: str) -> str:
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise PydanticCustomError("invalid", "must not contain control characters")
    return storable(value)


def is_storable_text(value: str) -> bool:
    """False for text no participant field can hold (NUL, lone surrogates)."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def storable(value: str) -> str:
    # NUL bytes and lone surrogates cannot be stored by PostgreSQL (or round-trip as UTF-8).
    if "\x00" in value:
        raise PydanticCustomError("invalid", "must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise PydanticCustomError("invalid", "must be valid Unicode text") from None
    return value


#: Python's `str.strip()` leaves U+FEFF, which JSON Schema's (ECMA-262) `\s` counts as space.
_BLANK = "\ufeff"


def not_blank(value: str) -> str:
    if all(ch.isspace() or ch == _BLANK for ch in value):
        raise PydanticCustomError("invalid", "must not be blank")
    return value
