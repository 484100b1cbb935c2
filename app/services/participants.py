"""Participants: create-or-update and reads, the same for GraphQL and REST."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app import crud
from app.core.db import Database
from app.crud import HeldBalance, HeldCounter, HeldTier
from app.models import (
    Participant,
    Program,
    utcnow,
)
from app.services.actor import Actor
from app.services.errors import FieldError, NotFound, ValidationFailed
from app.services.participant_counters import effective
from app.services.participant_input import MAX_ATTRIBUTES, parse_participant_create
from app.services.participant_writes import (
    record_attribute_changes,
    record_tag_changes,
)
from app.services.programs import usable_program

__all__ = [
    "ParticipantState",
    "UpsertOutcome",
    "create_participant",
    "get_participant",
    "get_participant_detail",
    "load_participant_state",
]


@dataclass(slots=True)
class ParticipantState:
    """What programs give a participant: derived, never set on create."""

    programs: list[Program] = field(default_factory=list)
    balances: list[HeldBalance] = field(default_factory=list)
    counters: list[HeldCounter] = field(default_factory=list)
    tiers: list[HeldTier] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class UpsertOutcome:
    participant: Participant
    created: bool
    #: The participant's state when it is known without asking the database (a new participant).
    known_state: ParticipantState | None


async def create_participant(
    db: Database,
    *,
    organization_id: uuid.UUID,
    data: Mapping[str, Any],
    api_key_id: uuid.UUID | None = None,
) -> UpsertOutcome:
    """Create the participant, or update the one with the same `external_id` (CONTRACT §3).

    One transaction: the program check, the upsert and the enrollment happen whole or not at all.
    Raises `ValidationFailed` for bad input, an unknown or archived program, or too many attributes
    after the merge. When it updates tags or attributes of an existing participant, the changes
    go to its state history (the row is locked first to read what they were; a participant that
    a concurrent request creates in between is updated without history rows).
    """
    request = parse_participant_create(data)
    now = utcnow()
    async with db.transaction() as session:
        before = None
        if request.tags is not None or request.attributes is not None:
            before = await crud.lock_participant_by_external_id(
                session, organization_id=organization_id, external_id=request.external_id
            )
        old_tags = list(before.tags) if before else []
        old_attributes = dict(before.attributes) if before else {}
        program = None
        if request.program_id is not None:
            program = await usable_program(
                session,
                organization_id=organization_id,
                program_id=request.program_id,
                field="program_id",
            )
        new_id = uuid.uuid4()
        participant = await crud.upsert_participant(
            session,
            organization_id=organization_id,
            new_id=new_id,
            now=now,
            values=request.column_values(),
        )
        if len(participant.attributes) > MAX_ATTRIBUTES:
            raise ValidationFailed(
                [
                    FieldError(
                        ("attributes",),
                        "too_many",
                        f"would hold {len(participant.attributes)} keys once merged; "
                        f"at most {MAX_ATTRIBUTES} are allowed",
                    )
                ]
            )
        if before is not None:
            actor = Actor.at(organization_id, api_key_id, lambda: now)
            record_tag_changes(session, actor, participant, old_tags, participant.tags)
            record_attribute_changes(
                session, actor, participant, old_attributes, participant.attributes
            )
        if program is not None:
            await crud.enroll(
                session,
                organization_id=organization_id,
                participant_id=participant.id,
                program_id=program.id,
                now=now,
            )
    created = participant.id == new_id
    known_state = ParticipantState(programs=[program] if program else []) if created else None
    return UpsertOutcome(participant=participant, created=created, known_state=known_state)


async def get_participant(
    db: Database, *, organization_id: uuid.UUID, participant_id: uuid.UUID
) -> Participant:
    """The participant; `NotFound` for unknown or foreign ids."""
    async with db.lookup() as session:
        found = await crud.participants_by_id(
            session, organization_id=organization_id, ids=[participant_id]
        )
    participant = found.get(participant_id)
    if participant is None:
        raise NotFound("no such participant")
    return participant


async def get_participant_detail(
    db: Database,
    *,
    organization_id: uuid.UUID,
    participant_id: uuid.UUID,
    now: datetime | None = None,
) -> tuple[Participant, ParticipantState]:
    """The participant with all its derived state; `NotFound` for unknown or foreign ids."""
    participant = await get_participant(
        db, organization_id=organization_id, participant_id=participant_id
    )
    state = await load_participant_state(
        db, organization_id=organization_id, participant_id=participant_id, now=now
    )
    return participant, state


async def load_participant_state(
    db: Database,
    *,
    organization_id: uuid.UUID,
    participant_id: uuid.UUID,
    now: datetime | None = None,
) -> ParticipantState:
    """All derived state of one participant (the REST detail shape), in one session; counters
    with their values as of `now` (see `participant_counters.effective`)."""
    ids = [participant_id]
    async with db.read() as session:
        programs = await crud.programs_by_participant(
            session, organization_id=organization_id, participant_ids=ids
        )
        balances = await crud.balances_by_participant(
            session, organization_id=organization_id, participant_ids=ids
        )
        counters = await crud.counters_by_participant(
            session, organization_id=organization_id, participant_ids=ids
        )
        tiers = await crud.tiers_by_participant(
            session, organization_id=organization_id, participant_ids=ids
        )
    return ParticipantState(
        programs=programs.get(participant_id, []),
        balances=balances.get(participant_id, []),
        counters=[effective(c, now or utcnow()) for c in counters.get(participant_id, [])],
        tiers=tiers.get(participant_id, []),
    )
