"""The levels a participant holds in a program's tiers (scrip-api-facts §5.11).

Setting or removing one needs, in this order: a known participant, program and tier (404), a
tier that is not archived (409 `tier_archived`), an ACTIVE participant, an ACTIVE program and an
active enrollment in it (each 409 `participant_inactive`, as Scrip answers, with a message that
says which), and, to set one, a level the tier defines (404). The rank is the level's rank in
the definition.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, StrictStr
from sqlalchemy.ext.asyncio import AsyncSession

from app import crud
from app.core.db import Database
from app.crud import HeldTier
from app.models import (
    Participant,
    ParticipantStatus,
    ParticipantTier,
    ProgramStatus,
    StateOperation,
    StateType,
    Tier,
    TierStatus,
)
from app.services.actor import Actor
from app.services.errors import Conflict, FieldError, NotFound, ValidationFailed
from app.services.pages import moment_problem
from app.services.participant_input import parse_input
from app.services.participant_writes import locked_participant, record
from app.services.tiers import is_tier_key

__all__ = ["TierSet", "get_held_tier", "list_held_tiers", "remove_tier_level", "set_tier_level"]


class TierSet(BaseModel):
    """Body of `PUT …/state/tiers/{key}?program_id=`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    level: StrictStr
    #: When the level lapses; null or left out: never.
    expires_at: AwareDatetime | None = None


async def list_held_tiers(
    db: Database, *, organization_id: uuid.UUID, participant_id: uuid.UUID, program_id: uuid.UUID
) -> list[HeldTier]:
    """The participant's levels in the program's tiers, by tier key; `NotFound` for an unknown
    participant or program."""
    async with db.read() as session:
        found = await crud.participants_by_id(
            session, organization_id=organization_id, ids=[participant_id]
        )
        if participant_id not in found:
            raise NotFound("no such participant")
        program = await crud.get_program(
            session, organization_id=organization_id, program_id=program_id
        )
        if program is None:
            raise NotFound("no such program", field=("program_id",))
        held = await crud.tiers_by_participant(
            session, organization_id=organization_id, participant_ids=[participant_id]
        )
    return [row for row in held.get(participant_id, []) if row.program_id == program_id]


async def get_held_tier(
    db: Database,
    *,
    organization_id: uuid.UUID,
    participant_id: uuid.UUID,
    program_id: uuid.UUID,
    key: str,
) -> HeldTier:
    held = await list_held_tiers(
        db, organization_id=organization_id, participant_id=participant_id, program_id=program_id
    )
    for row in held:
        if row.tier_key == key:
            return row
    raise NotFound("the participant holds no level in this tier")


async def _checked_tier(
    session: AsyncSession,
    actor: Actor,
    participant: Participant,
    program_id: uuid.UUID,
    key: str,
) -> Tier:
    # Shared locks: a concurrent archive of the program or tier, or a change of its levels,
    # waits for this write, and this write for it (PostgreSQL; SQLite writes one at a time).
    program = await crud.get_program(
        session, organization_id=actor.organization_id, program_id=program_id, for_share=True
    )
    if program is None:
        raise NotFound("no such program", field=("program_id",))
    tier = (
        await crud.get_tier(
            session,
            organization_id=actor.organization_id,
            program_id=program_id,
            key=key,
            for_share=True,
        )
        if is_tier_key(key)
        else None
    )
    if tier is None:
        raise NotFound("no such tier", field=("key",))
    if tier.status is TierStatus.ARCHIVED:
        raise Conflict(f"the tier {key!r} is archived", code="tier_archived")
    if participant.status is not ParticipantStatus.ACTIVE:
        raise Conflict(
            f"the participant is {participant.status.value}", code="participant_inactive"
        )
    if program.status is not ProgramStatus.ACTIVE:
        raise Conflict(f"the program is {program.status.value}", code="participant_inactive")
    enrolled = await crud.is_enrolled(
        session,
        organization_id=actor.organization_id,
        participant_id=participant.id,
        program_id=program_id,
    )
    if not enrolled:
        raise Conflict(
            "the participant is not enrolled in the program", code="participant_inactive"
        )
    return tier


async def set_tier_level(
    db: Database,
    actor: Actor,
    *,
    participant_id: uuid.UUID,
    program_id: uuid.UUID,
    key: str,
    data: Mapping[str, Any],
) -> HeldTier:
    """Give the participant `level` in the tier (replacing the one it held); the level held,
    as written (a read after the commit could already see a concurrent removal)."""
    request = _parse(data, actor.now)
    async with locked_participant(db, actor, participant_id) as (session, participant, actor):
        tier = await _checked_tier(session, actor, participant, program_id, key)
        levels = await crud.levels_by_tier(
            session, organization_id=actor.organization_id, tier_ids=[tier.id]
        )
        level = next((lv for lv in levels.get(tier.id, []) if lv.key == request.level), None)
        if level is None:
            raise NotFound(f"the tier {key!r} has no level {request.level!r}", field=("level",))
        held = await session.get(ParticipantTier, (participant.id, program_id, key))
        old = held.level if held else None
        if held is None:
            held = ParticipantTier(
                participant_id=participant.id,
                program_id=program_id,
                tier_key=key,
                organization_id=actor.organization_id,
                level=level.key,
                rank=level.rank,
            )
            session.add(held)
        if old != level.key:
            held.acquired_at = actor.now
            record(
                session,
                actor,
                participant,
                StateType.TIER,
                key,
                StateOperation.SET,
                old=old,
                new=level.key,
                program_id=program_id,
            )
        held.level, held.rank = level.key, level.rank
        held.expires_at = request.expires_at
        held.updated_at = actor.now
        return HeldTier(
            participant_id=participant.id,
            program_id=program_id,
            tier_key=key,
            level=level.key,
            rank=level.rank,
            display_name=tier.display_name,
            level_display_name=level.display_name,
            benefits=level.benefits,
            acquired_at=held.acquired_at,
            expires_at=held.expires_at,
        )
    raise AssertionError("unreachable")  # pragma: no cover - the block returns


def _parse(data: Mapping[str, Any], now: datetime) -> TierSet:
    errors = []
    level = data.get("level")
    if isinstance(level, str) and not 1 <= len(level) <= 100:
        errors.append(FieldError(("level",), "invalid", "must be 1 to 100 characters"))
    request = parse_input(TierSet, data, errors=errors)
    if request.expires_at is not None:
        if (problem := moment_problem("expires_at", request.expires_at)) is not None:
            raise ValidationFailed([problem])
        if request.expires_at <= now:
            raise ValidationFailed(
                [FieldError(("expires_at",), "invalid", "must be in the future")]
            )
    return request


async def remove_tier_level(
    db: Database,
    actor: Actor,
    *,
    participant_id: uuid.UUID,
    program_id: uuid.UUID,
    key: str,
) -> bool:
    """Take the participant back to no level in the tier; False when it held none."""
    async with locked_participant(db, actor, participant_id) as (session, participant, actor):
        await _checked_tier(session, actor, participant, program_id, key)
        held = await session.get(ParticipantTier, (participant.id, program_id, key))
        if held is None:
            return False
        record(
            session,
            actor,
            participant,
            StateType.TIER,
            key,
            StateOperation.DELETE,
            old=held.level,
            program_id=program_id,
        )
        await session.delete(held)
    return True
