"""A participant's state history: every change to its tags, attributes, counters and tier
levels, newest first (scrip-api-facts §5.12 `activity/state-history`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from app import crud
from app.core.db import Database
from app.core.formats import format_timestamp
from app.crud import HistoryFilter
from app.models import StateChange
from app.services.cursors import CursorCodec
from app.services.errors import FieldError, NotFound, ValidationFailed
from app.services.pages import (
    Page,
    moment_problem,
    page_arguments,
    pages_by_parent,
    time_and_id,
)
from app.services.text_rules import is_storable_text

__all__ = [
    "DEFAULT_HISTORY_PAGE",
    "MAX_HISTORY_PAGE",
    "HistoryFilter",
    "history_pages",
    "history_position",
    "list_history",
]

DEFAULT_HISTORY_PAGE = 50
MAX_HISTORY_PAGE = 100
_KIND = "state-history"

Position = tuple[datetime, uuid.UUID]


def history_position(
    codec: CursorCodec, *, filter: HistoryFilter, limit: int, after: str | None
) -> Position | None:
    """Where a page starts; `ValidationFailed` for bad arguments."""
    position, errors = page_arguments(
        codec, limit=min(limit, 200), after=after, kind=_KIND, parse=time_and_id
    )
    if not 1 <= limit <= MAX_HISTORY_PAGE:
        errors = [e for e in errors if e.path != ("limit",)]
        errors.append(FieldError(("limit",), "invalid", f"must be from 1 to {MAX_HISTORY_PAGE}"))
    if filter.key is not None and (len(filter.key) > 255 or not is_storable_text(filter.key)):
        errors.append(FieldError(("key",), "invalid", "must be at most 255 characters of text"))
    for name in ("changed_from", "changed_to"):
        moment = getattr(filter, name)
        if moment is not None and (problem := moment_problem(name, moment)) is not None:
            errors.append(problem)
    if errors:
        raise ValidationFailed(errors)
    return position


async def history_pages(
    db: Database,
    codec: CursorCodec,
    *,
    organization_id: uuid.UUID,
    participant_ids: Sequence[uuid.UUID],
    filter: HistoryFilter,
    limit: int,
    position: Position | None,
) -> dict[uuid.UUID, Page[StateChange]]:
    """A page of each participant's history, in one statement."""
    async with db.lookup() as session:
        found = await crud.history_pages(
            session,
            organization_id=organization_id,
            participant_ids=participant_ids,
            filter=filter,
            after=position,
            limit=limit + 1,
        )
    return pages_by_parent(
        found,
        participant_ids,
        limit=limit,
        cursor=lambda row: codec.encode(_KIND, [format_timestamp(row.changed_at), str(row.id)]),
    )


async def list_history(
    db: Database,
    codec: CursorCodec,
    *,
    organization_id: uuid.UUID,
    participant_id: uuid.UUID,
    filter: HistoryFilter,
    limit: int = DEFAULT_HISTORY_PAGE,
    after: str | None = None,
) -> Page[StateChange]:
    """One participant's history; `NotFound` for an unknown participant."""
    position = history_position(codec, filter=filter, limit=limit, after=after)
    async with db.lookup() as session:
        found = await crud.participants_by_id(
            session, organization_id=organization_id, ids=[participant_id]
        )
    if participant_id not in found:
        raise NotFound("no such participant")
    pages = await history_pages(
        db,
        codec,
        organization_id=organization_id,
        participant_ids=[participant_id],
        filter=filter,
        limit=limit,
        position=position,
    )
    return pages[participant_id]
