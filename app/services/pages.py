"""What every keyset listing shares: page sizes, directions, and reading a cursor back."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar, overload

from app.services.cursors import CursorCodec, InvalidCursor
from app.services.errors import FieldError

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "Cursors",
    "Page",
    "SortDirection",
    "moment_problem",
    "page_arguments",
    "pages_by_parent",
    "time_and_id",
]

T = TypeVar("T")

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


def time_and_id(key: list[Any]) -> tuple[datetime, uuid.UUID]:
    """A cursor key of [RFC 3339 time, UUID], the shape most listings sort by."""
    if len(key) != 2 or not all(isinstance(value, str) for value in key):
        raise InvalidCursor("is not a cursor this API issued")
    try:
        return datetime.fromisoformat(key[0]), uuid.UUID(key[1])
    except ValueError:
        raise InvalidCursor("is not a cursor this API issued") from None


class Cursors(Sequence[str]):
    """A page's cursors, one after each item, each signed only when first read: a cursor costs
    an HMAC, and most readers want only the last (REST's `next_cursor`, GraphQL's `endCursor`)."""

    __slots__ = ("_items", "_made", "_make")

    def __init__(self, items: Sequence[T], make: Callable[[T], str]) -> None:
        self._items: Sequence[Any] = items
        self._make: Callable[[Any], str] = make
        self._made: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...

    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        position = range(len(self))[index]  # IndexError as a list would raise it
        made = self._made.get(position)
        if made is None:
            made = self._made[position] = self._make(self._items[position])
        return made


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One keyset page: its items, a cursor after each, and whether more follow."""

    items: list[T]
    cursors: Sequence[str]
    has_more: bool

    @property
    def end_cursor(self) -> str | None:
        return self.cursors[-1] if self.cursors else None


def moment_problem(name: str, moment: datetime) -> FieldError | None:
    """What is wrong with a time given as `name`: no UTC offset, or beyond what UTC can hold
    (9999-12-31T23:59:59-23:59 overflows when converted)."""
    if moment.tzinfo is None:
        return FieldError((name,), "invalid", "must include a UTC offset, e.g. Z")
    try:
        moment.astimezone(UTC)
    except OverflowError:
        return FieldError((name,), "invalid", "is out of range")
    return None


def pages_by_parent(
    found: Mapping[uuid.UUID, list[T]],
    parent_ids: Sequence[uuid.UUID],
    *,
    limit: int,
    cursor: Callable[[T], str],
) -> dict[uuid.UUID, Page[T]]:
    """Each parent's page from rows fetched `limit + 1` per parent (the extra one says that
    more follow)."""
    pages = {}
    for parent_id in parent_ids:
        rows = found.get(parent_id, [])
        shown = rows[:limit]
        pages[parent_id] = Page(
            items=shown, cursors=Cursors(shown, cursor), has_more=len(rows) > limit
        )
    return pages
