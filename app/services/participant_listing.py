"""Listing participants: filters, sort orders and keyset cursors, shared by GraphQL and REST.

Pages are keyset-paginated (never OFFSET): the cursor holds the sort key of the last row served, so
page 10,000 costs what page 1 costs, and rows inserted meanwhile never shift what comes next.
Each sort ends on a unique key, so walking every page yields every participant exactly once.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from app import crud
from app.core.db import Database
from app.core.formats import format_timestamp
from app.crud import ParticipantRow, StateDocuments, StateKind
from app.models import ParticipantStatus
from app.services.cursors import CursorCodec, InvalidCursor
from app.services.errors import FieldError, ValidationFailed
from app.services.pages import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    Cursors,
    SortDirection,
    page_arguments,
)
from app.services.participant_input import is_storable_text

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "ParticipantFilter",
    "ParticipantPage",
    "SortDirection",
    "SortField",
    "list_participants",
]

MAX_SEARCH_LENGTH = 255


class SortField(enum.StrEnum):
    CREATED_AT = "created_at"
    EXTERNAL_ID = "external_id"
    #: By status, then by creation time within a status.
    STATUS = "status"


#: The columns each sort orders by; the last ones make the order total (external_id is unique).
SORT_KEYS: dict[SortField, tuple[str, ...]] = {
    SortField.CREATED_AT: ("created_at", "id"),
    SortField.EXTERNAL_ID: ("external_id",),
    SortField.STATUS: ("status", "created_at", "id"),
}


@dataclass(frozen=True, slots=True)
class ParticipantFilter:
    external_id: str | None = None
    status: ParticipantStatus | None = None
    program_id: uuid.UUID | None = None
    #: Case-insensitive substring of external_id, email, phone or any name field.
    search: str | None = None
    #: created_at ≥ created_from and < created_to (a half-open range).
    created_from: datetime | None = None
    created_to: datetime | None = None

    @classmethod
    def taken_from(cls, source: object) -> ParticipantFilter:
        """The filter named by `source`'s attributes of the same names (a face's parsed input)."""
        return cls(**{f.name: getattr(source, f.name) for f in fields(cls)})

    def conditions(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class ParticipantPage:
    participants: Sequence[ParticipantRow]
    #: One cursor per participant: the page after that participant.
    cursors: Sequence[str]
    has_more: bool
    #: The state asked for (`state=`), by participant id; it may hold the participant just past
    #: the page too (read to learn whether there is more).
    state: StateDocuments = field(default_factory=StateDocuments)

    @property
    def end_cursor(self) -> str | None:
        return self.cursors[-1] if self.cursors else None


async def list_participants(
    db: Database,
    codec: CursorCodec,
    *,
    organization_id: uuid.UUID,
    filter: ParticipantFilter,
    sort: SortField = SortField.CREATED_AT,
    direction: SortDirection = SortDirection.DESC,
    limit: int = DEFAULT_PAGE_SIZE,
    after: str | None = None,
    unread: frozenset[str] = frozenset(),
    state: frozenset[StateKind] = frozenset(),
) -> ParticipantPage:
    """One page of the organization's participants. Raises `ValidationFailed` for bad arguments.

    `unread`: columns the caller will not look at; they come back as None. `state`: the kinds
    of state to read with the page, in its statement (see `crud.list_participants`)."""
    kind = f"{sort}:{direction}"
    position, errors = page_arguments(
        codec, limit=limit, after=after, kind=kind, parse=lambda key: _parse_key(sort, key)
    )
    for name in ("created_from", "created_to"):
        moment = getattr(filter, name)
        if moment is None:
            continue
        if moment.tzinfo is None:
            errors.append(FieldError((name,), "invalid", "must include a UTC offset, e.g. Z"))
            continue
        try:
            moment.astimezone(UTC)
        except OverflowError:
            errors.append(FieldError((name,), "invalid", "is out of range"))
    for name in ("external_id", "search"):
        text = getattr(filter, name)
        if text is not None and not is_storable_text(text):
            errors.append(FieldError((name,), "invalid", "must be valid Unicode text without NUL"))
    if filter.search is not None and len(filter.search) > MAX_SEARCH_LENGTH:
        errors.append(
            FieldError(("search",), "too_long", f"must be at most {MAX_SEARCH_LENGTH} characters")
        )
    if errors:
        raise ValidationFailed(errors)

    async with db.lookup() as session:
        listed = await crud.list_participants(
            session,
            organization_id=organization_id,
            **filter.conditions(),
            order_by=SORT_KEYS[sort],
            descending=direction is SortDirection.DESC,
            after=position,
            limit=limit + 1,
            unread=unread,
            state=state,
        )
    page = listed.rows[:limit]
    return ParticipantPage(
        participants=page,
        cursors=Cursors(page, lambda row: codec.encode(kind, _key_of(row, sort))),
        has_more=len(listed.rows) > limit,
        state=listed.state,
    )


#: How each sort column is written into a cursor. Only the sort key's columns are read: a page
#: may leave the others unread (None).
_KEY_WRITERS: dict[str, Callable[[ParticipantRow], str]] = {
    "created_at": lambda row: format_timestamp(row.created_at),
    "id": lambda row: str(row.id),
    "external_id": lambda row: row.external_id,
    "status": lambda row: row.status.value,
}


def _key_of(row: ParticipantRow, sort: SortField) -> list[Any]:
    return [_KEY_WRITERS[column](row) for column in SORT_KEYS[sort]]


def _parse_key(sort: SortField, key: list[Any]) -> tuple[Any, ...]:
    columns = SORT_KEYS[sort]
    if len(key) != len(columns) or not all(isinstance(value, str) for value in key):
        raise InvalidCursor("is not a cursor this API issued")
    parsers: dict[str, Callable[[str], Any]] = {
        "created_at": datetime.fromisoformat,
        "id": uuid.UUID,
        "external_id": str,
        "status": ParticipantStatus,
    }
    try:
        return tuple(parsers[column](value) for column, value in zip(columns, key, strict=True))
    except ValueError:
        raise InvalidCursor("is not a cursor this API issued") from None
