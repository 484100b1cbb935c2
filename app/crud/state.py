"""A participant's derived state (programs, balances, counters, tiers) and assets, batched by
participant id: one statement for any number of participants."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import (
    BindParameter,
    and_,
    bindparam,
    func,
)
from sqlalchemy import select as sa_select  # sqlmodel's select takes at most four columns
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
    Tier,
    TierLevel,
)

__all__ = [
    "HeldBalance",
    "HeldCounter",
    "HeldTier",
    "assets_by_id",
    "balances_by_participant",
    "counters_by_participant",
    "group_pairs",
    "programs_by_participant",
    "tiers_by_participant",
]


def group_pairs(rows: Iterable[tuple[uuid.UUID, Any]]) -> dict[uuid.UUID, list[Any]]:
    """(key, value) pairs → {key: [values in the order met]}."""
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
    return group_pairs((participant_id, program) for participant_id, program in rows)


@dataclass(slots=True)
class HeldBalance:
    """What a participant holds of one asset, as reads see it (no ORM object: a page of them is
    read for every GraphQL page that asks, and ORM objects cost more than the query).

    Like the other views here, treat it as read-only. It is not frozen only because a frozen
    dataclass sets each field through `object.__setattr__`, which makes building one about
    five times slower, and a page builds hundreds."""

    participant_id: uuid.UUID
    asset_id: uuid.UUID
    available: Decimal
    deferred: Decimal
    held: Decimal


@dataclass(slots=True)
class HeldCounter:
    """A participant's counter, as reads see it (see `HeldBalance`)."""

    participant_id: uuid.UUID
    key: str
    value: Decimal
    reset_after: str | None
    last_reset_at: datetime | None

    @classmethod
    def of(cls, row: Counter) -> HeldCounter:
        return cls(row.participant_id, row.key, row.value, row.reset_after, row.last_reset_at)


def _owned_query(model: type[Balance | Counter], view: type[Any], order_by: str) -> Any:
    table = model.__table__.c  # type: ignore[union-attr]
    return (
        sa_select(*(table[name] for name in view.__slots__))
        .where(table.organization_id == _ORGANIZATION, table.participant_id.in_(_PARTICIPANTS))
        .order_by(table[order_by])
    )


_BALANCES = _owned_query(Balance, HeldBalance, "asset_id")
_COUNTERS = _owned_query(Counter, HeldCounter, "key")


@dataclass(slots=True)
class HeldTier:
    """A participant's level in one tier of one program, read with the tier's definition."""

    participant_id: uuid.UUID
    program_id: uuid.UUID
    tier_key: str
    level: str
    #: From the tier definition; the rank stored with the participant only when the level has
    #: no definition (rows written before tier definitions existed).
    rank: int
    display_name: str | None
    level_display_name: str | None
    #: The level's benefits in the tier definition ({} when it has none).
    benefits: dict[str, Any] | None
    acquired_at: datetime | None
    expires_at: datetime | None

    @property
    def key(self) -> str:
        """The tier's key (GraphQL's `ParticipantTier.key`)."""
        return self.tier_key


#: A participant's tier levels joined with their definitions (absent when undefined), and the
#: level's rank: from the definition, else the rank stored with the participant (rows written
#: before tier definitions existed). Shared with `state_documents`.
HELD_TIER_SOURCE = ParticipantTier.__table__.outerjoin(  # type: ignore[attr-defined]
    Tier.__table__,  # type: ignore[attr-defined]
    and_(
        col(Tier.organization_id) == col(ParticipantTier.organization_id),
        col(Tier.program_id) == col(ParticipantTier.program_id),
        col(Tier.key) == col(ParticipantTier.tier_key),
    ),
).outerjoin(
    TierLevel.__table__,  # type: ignore[attr-defined]
    and_(col(TierLevel.tier_id) == col(Tier.id), col(TierLevel.key) == col(ParticipantTier.level)),
)
HELD_TIER_RANK = func.coalesce(col(TierLevel.rank), col(ParticipantTier.rank))

_TIERS = (
    sa_select(
        col(ParticipantTier.participant_id),
        col(ParticipantTier.program_id),
        col(ParticipantTier.tier_key),
        col(ParticipantTier.level),
        HELD_TIER_RANK,
        col(Tier.display_name),
        col(TierLevel.display_name),
        col(TierLevel.benefits),
        col(ParticipantTier.acquired_at),
        col(ParticipantTier.expires_at),
    )
    .select_from(HELD_TIER_SOURCE)
    .where(
        col(ParticipantTier.organization_id) == _ORGANIZATION,
        col(ParticipantTier.participant_id).in_(_PARTICIPANTS),
    )
    .order_by(col(ParticipantTier.program_id), col(ParticipantTier.tier_key))
)


_Held = TypeVar("_Held", HeldBalance, HeldCounter, HeldTier)


async def _held_by(
    session: AsyncSession,
    query: Any,
    view: type[_Held],
    organization_id: uuid.UUID,
    participant_ids: Sequence[uuid.UUID],
) -> dict[uuid.UUID, list[_Held]]:
    """`query`'s rows (participant id first) as `view`s, by participant."""
    result = await session.execute(query, _state_parameters(organization_id, participant_ids))
    rows = result.all()  # one fetch, not one per row
    return group_pairs((row[0], view(*row)) for row in rows)


async def balances_by_participant(
    session: AsyncSession, *, organization_id: uuid.UUID, participant_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[HeldBalance]]:
    return await _held_by(session, _BALANCES, HeldBalance, organization_id, participant_ids)


async def counters_by_participant(
    session: AsyncSession, *, organization_id: uuid.UUID, participant_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[HeldCounter]]:
    return await _held_by(session, _COUNTERS, HeldCounter, organization_id, participant_ids)


async def tiers_by_participant(
    session: AsyncSession, *, organization_id: uuid.UUID, participant_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[HeldTier]]:
    return await _held_by(session, _TIERS, HeldTier, organization_id, participant_ids)


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
