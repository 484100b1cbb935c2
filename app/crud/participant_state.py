"""Writes to one participant's state, under a lock on its row, and its state history."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, false, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.crud.keyset import keyset_page
from app.models import (
    Enrollment,
    EnrollmentStatus,
    Participant,
    StateChange,
    StateOperation,
    StateType,
)

__all__ = [
    "HistoryFilter",
    "external_id_holder",
    "history_pages",
    "is_enrolled",
    "lock_participant",
    "lock_participant_by_external_id",
]


async def lock_participant(
    session: AsyncSession, *, organization_id: uuid.UUID, participant_id: uuid.UUID
) -> Participant | None:
    """The participant, its row locked until the transaction ends (PostgreSQL; SQLite's write
    transactions already run one at a time): every change to its state goes through here, so
    concurrent writers apply one after another and none is lost."""
    return await session.scalar(
        select(Participant)
        .where(
            col(Participant.id) == participant_id,
            col(Participant.organization_id) == organization_id,
        )
        .with_for_update()
    )


async def lock_participant_by_external_id(
    session: AsyncSession, *, organization_id: uuid.UUID, external_id: str
) -> Participant | None:
    """Like `lock_participant`, by external_id."""
    return await session.scalar(
        select(Participant)
        .where(
            col(Participant.organization_id) == organization_id,
            col(Participant.external_id) == external_id,
        )
        .with_for_update()
    )


async def external_id_holder(
    session: AsyncSession, *, organization_id: uuid.UUID, external_id: str
) -> uuid.UUID | None:
    return await session.scalar(
        select(col(Participant.id)).where(
            col(Participant.organization_id) == organization_id,
            col(Participant.external_id) == external_id,
        )
    )


async def is_enrolled(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    participant_id: uuid.UUID,
    program_id: uuid.UUID,
) -> bool:
    found = await session.scalar(
        select(col(Enrollment.participant_id)).where(
            col(Enrollment.organization_id) == organization_id,
            col(Enrollment.participant_id) == participant_id,
            col(Enrollment.program_id) == program_id,
            col(Enrollment.status) == EnrollmentStatus.ACTIVE,
        )
    )
    return found is not None


@dataclass(frozen=True, slots=True)
class HistoryFilter:
    state_type: StateType | None = None
    key: str | None = None
    program_id: uuid.UUID | None = None
    operation: StateOperation | None = None
    changed_from: datetime | None = None
    changed_to: datetime | None = None
    #: Only changes an event made (none are, yet).
    made_by_event: bool = False

    def conditions(self) -> list[Any]:
        table = StateChange.__table__.c  # type: ignore[attr-defined]
        found = []
        for name in ("state_type", "key", "program_id", "operation"):
            if (value := getattr(self, name)) is not None:
                found.append(table[name] == value)
        if self.changed_from is not None:
            found.append(table.changed_at >= self.changed_from)
        if self.changed_to is not None:
            found.append(table.changed_at < self.changed_to)
        if self.made_by_event:
            found.append(false())
        return found


_HISTORY_KEY = [
    StateChange.__table__.c.changed_at,  # type: ignore[attr-defined]
    StateChange.__table__.c.id,  # type: ignore[attr-defined]
]


async def history_pages(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    participant_ids: Sequence[uuid.UUID],
    filter: HistoryFilter,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> dict[uuid.UUID, list[StateChange]]:
    """Up to `limit` changes of each participant, newest first, in one statement: a LIMITed
    arm per participant (see `enrolled_participants`)."""
    if not participant_ids:
        return {}
    table = StateChange.__table__.c  # type: ignore[attr-defined]
    arms = []
    for participant_id in participant_ids:
        arm = select(table.id).where(
            table.organization_id == organization_id,
            table.participant_id == participant_id,
            *filter.conditions(),
        )
        page = keyset_page(arm, _HISTORY_KEY, descending=True, after=after, limit=limit)
        arms.append(select(*page.subquery().c))
    chosen = union_all(*arms).subquery()
    rows = await session.scalars(
        select(StateChange)
        .join(chosen, and_(col(StateChange.id) == chosen.c.id))
        .order_by(col(StateChange.changed_at).desc(), col(StateChange.id).desc())
    )
    found: dict[uuid.UUID, list[StateChange]] = {}
    for row in rows:
        found.setdefault(row.participant_id, []).append(row)
    return found
