"""A participant's derived state (programs, balances, counters, tiers) and assets, batched by
participant id: one statement for any number of participants."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import (
    BindParameter,
    and_,
    bindparam,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.models import (
    Asset,
    Balance,
    Counter,
    Enrollment,
    EnrollmentStatus,
    ParticipantTier,
    Program,
)

__all__ = [
    "assets_by_id",
    "balances_by_participant",
    "counters_by_participant",
    "programs_by_participant",
    "tiers_by_participant",
]


def _group(rows: Iterable[tuple[uuid.UUID, Any]]) -> dict[uuid.UUID, list[Any]]:
    grouped: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for key, value in rows:
        grouped[key].append(value)
    return grouped


_ORGANIZATION: BindParameter[uuid.UUID] = bindparam("organization_id")
_PARTICIPANTS: BindParameter[list[uuid.UUID]] = bindparam("participant_ids", expanding=True)


def _state_parameters(
    organization_id: uuid.UUID, participant_ids: Sequence[uuid.UUID]
) -> dict[str, Any]:
    return {"organization_id": organization_id, "participant_ids": list(participant_ids)}


#: Programs of each participant's active enrollments, oldest enrollment first. Like the other
#: batched state queries, built once and run with bound parameters.
_PROGRAMS = (
    select(col(Enrollment.participant_id), Program)
    .join(
        Program,
        and_(
            col(Program.id) == col(Enrollment.program_id),
            col(Program.organization_id) == col(Enrollment.organization_id),
        ),
    )
    .where(
        col(Enrollment.organization_id) == _ORGANIZATION,
        col(Enrollment.participant_id).in_(_PARTICIPANTS),
        col(Enrollment.status) == EnrollmentStatus.ACTIVE,
    )
    .order_by(col(Enrollment.created_at), col(Enrollment.program_id))
)


async def programs_by_participant(
    session: AsyncSession, *, organization_id: uuid.UUID, participant_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Program]]:
    """Programs of each participant's active enrollments, oldest enrollment first."""
    rows = await session.execute(_PROGRAMS, _state_parameters(organization_id, participant_ids))
    return _group((participant_id, program) for participant_id, program in rows)


_Owned = TypeVar("_Owned", Balance, Counter, ParticipantTier)


def _owned_query(model: type[_Owned], *order_by: Any) -> Any:
    return (
        select(model)
        .where(
            col(model.organization_id) == _ORGANIZATION,
            col(model.participant_id).in_(_PARTICIPANTS),
        )
        .order_by(*order_by)
    )


_BALANCES = _owned_query(Balance, col(Balance.asset_id))
_COUNTERS = _owned_query(Counter, col(Counter.key))
_TIERS = _owned_query(
    ParticipantTier, col(ParticipantTier.program_id), col(ParticipantTier.tier_key)
)


async def _owned_by(
    session: AsyncSession,
    query: Any,
    *,
    organization_id: uuid.UUID,
    participant_ids: Sequence[uuid.UUID],
) -> dict[uuid.UUID, list[Any]]:
    rows = await session.scalars(query, _state_parameters(organization_id, participant_ids))
    return _group((row.participant_id, row) for row in rows)


async def balances_by_participant(
    session: AsyncSession, *, organization_id: uuid.UUID, participant_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Balance]]:
    return await _owned_by(
        session, _BALANCES, organization_id=organization_id, participant_ids=participant_ids
    )


async def counters_by_participant(
    session: AsyncSession, *, organization_id: uuid.UUID, participant_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Counter]]:
    return await _owned_by(
        session, _COUNTERS, organization_id=organization_id, participant_ids=participant_ids
    )


async def tiers_by_participant(
    session: AsyncSession, *, organization_id: uuid.UUID, participant_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[ParticipantTier]]:
    return await _owned_by(
        session, _TIERS, organization_id=organization_id, participant_ids=participant_ids
    )


_ASSETS = select(Asset).where(
    col(Asset.organization_id) == _ORGANIZATION,
    col(Asset.id).in_(bindparam("asset_ids", expanding=True)),
)


async def assets_by_id(
    session: AsyncSession, *, organization_id: uuid.UUID, asset_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Asset]:
    rows = await session.scalars(
        _ASSETS, {"organization_id": organization_id, "asset_ids": list(asset_ids)}
    )
    return {row.id: row for row in rows}
