"""What every keyset listing shares: page sizes, directions, and reading a cursor back."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

from app.services.cursors import CursorCodec, InvalidCursor
from app.services.errors import FieldError

__all__ = ["DEFAULT_PAGE_SIZE", "MAX_PAGE_SIZE", "SortDirection", "page_arguments"]

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class SortDirection(enum.StrEnum):
    ASC = "asc"
    DESC = "desc"


def page_arguments(
    codec: CursorCodec,
    *,
    limit: int,
    after: str | None,
    kind: str,
    parse: Callable[[list[Any]], tuple[Any, ...]],
) -> tuple[tuple[Any, ...] | None, list[FieldError]]:
    """The position `after` points at (parsed by `parse`), and any problems with the arguments."""
    errors: list[FieldError] = []
    if not 1 <= limit <= MAX_PAGE_SIZE:
        errors.append(FieldError(("limit",), "invalid", f"must be from 1 to {MAX_PAGE_SIZE}"))
    position = None
    if after is not None:
        try:
            position = parse(codec.decode(after, kind))
        except InvalidCursor as exc:
            errors.append(FieldError(("cursor",), "invalid", str(exc)))
    return position, errors
