"""Changing a participant after creation: profile, status, tags and attributes (scrip-api-facts
§5.5-§5.9), the same for GraphQL and REST.

Every write is one transaction that first locks the participant's row (`crud.lock_participant`),
so concurrent writers to one participant apply one after another and none is lost; each change
to tags or attributes is recorded in its state history in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Annotated, Any

from annotated_types import MinLen
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app import crud
from app.core.db import Database
from app.models import Participant, ParticipantStatus, StateChange, StateOperation, StateType
from app.services.actor import Actor
from app.services.errors import Conflict, FieldError, NotFound, ValidationFailed
from app.services.participant_input import (
    MAX_ATTRIBUTES,
    MAX_TAGS,
    AttributeKey,
    Attributes,
    AttributeValue,
    ParticipantUpdate,
    Tag,
    Tags,
    parse_input,
)

__all__ = [
    "AttributeMerge",
    "AttributeSet",
    "StatusChange",
    "TagSet",
    "add_tag",
    "locked_participant",
    "merge_attributes",
    "record",
    "record_attribute_changes",
    "record_tag_changes",
    "remove_attribute",
    "remove_tag",
    "set_attribute",
    "set_status",
    "set_tags",
    "update_participant",
]


_RECORDED = "state_recorded"


@asynccontextmanager
async def locked_participant(
    db: Database, actor: Actor, participant_id: uuid.UUID
) -> AsyncIterator[tuple[AsyncSession, Participant, Actor]]:
    """A write transaction holding the participant's row lock, and the actor stamped with the
    time the lock was taken; `NotFound` when the participant is unknown or another
    organization's. The participant's `updated_at` moves when the block changed it."""
    async with db.transaction() as session:
        participant = await crud.lock_participant(
            session, organization_id=actor.organization_id, participant_id=participant_id
        )
        if participant is None:
            raise NotFound("no such participant")
        stamped = actor.restamped()
        before = participant.model_dump()
        yield session, participant, stamped
        if participant.model_dump() != before or session.info.pop(_RECORDED, False):
            participant.updated_at = stamped.now


def record(
    session: AsyncSession,
    actor: Actor,
    participant: Participant,
    state_type: StateType,
    key: str,
    operation: StateOperation,
    *,
    old: str | None = None,
    new: str | None = None,
    program_id: uuid.UUID | None = None,
) -> None:
    """Add one row to the participant's state history (in the caller's transaction)."""
    session.info[_RECORDED] = True
    session.add(
        StateChange(
            organization_id=actor.organization_id,
            participant_id=participant.id,
            state_type=state_type,
            key=key,
            operation=operation,
            old_value=old,
            new_value=new,
            program_id=program_id,
            changed_at=actor.now,
            changed_by_api_key_id=actor.api_key_id,
        )
    )


def record_tag_changes(
    session: AsyncSession, actor: Actor, participant: Participant, old: list[str], new: list[str]
) -> None:
    """History rows for going from tags `old` to `new`: removals first, then additions."""
    for tag in [t for t in old if t not in new]:
        record(session, actor, participant, StateType.TAG, tag, StateOperation.REMOVE)
    for tag in [t for t in new if t not in old]:
        record(session, actor, participant, StateType.TAG, tag, StateOperation.ADD)


def record_attribute_changes(
    session: AsyncSession,
    actor: Actor,
    participant: Participant,
    old: Mapping[str, str],
    new: Mapping[str, str],
) -> None:
    """History rows for keys set to a new value (merges remove nothing)."""
    for key, value in new.items():
        if old.get(key) != value:
            record(
                session,
                actor,
                participant,
                StateType.ATTRIBUTE,
                key,
                StateOperation.SET,
                old=old.get(key),
                new=value,
            )


def _replace_tags(
    session: AsyncSession, actor: Actor, participant: Participant, tags: list[str]
) -> None:
    record_tag_changes(session, actor, participant, participant.tags, tags)
    if tags != participant.tags:
        participant.tags = list(tags)


def _merge_attributes(
    session: AsyncSession, actor: Actor, participant: Participant, given: dict[str, str]
) -> None:
    merged = {**participant.attributes, **given}
    if len(merged) > MAX_ATTRIBUTES:
        raise ValidationFailed(
            [
                FieldError(
                    ("attributes",),
                    "too_many",
                    f"would hold {len(merged)} keys with the stored ones; at most {MAX_ATTRIBUTES}",
                )
            ]
        )
    record_attribute_changes(session, actor, participant, participant.attributes, given)
    if merged != participant.attributes:
        participant.attributes = merged  # a new object, so that the change is seen and saved


async def update_participant(
    db: Database, actor: Actor, *, participant_id: uuid.UUID, data: Mapping[str, Any]
) -> Participant:
    """Profile fields, `external_id` (409 `conflict` when another participant has it),
    attributes (merged) and tags (replaced). `status` has its own operation."""
    moved = (
        [FieldError(("status",), "invalid", "is changed by PATCH /v1/participants/{id}/status")]
        if "status" in data
        else []
    )
    request = parse_input(
        ParticipantUpdate, {k: v for k, v in data.items() if k != "status"}, errors=moved
    )
    async with locked_participant(db, actor, participant_id) as (session, participant, actor):
        values = request.column_values()
        new_external_id = values.get("external_id")
        if new_external_id is not None and new_external_id != participant.external_id:
            holder = await crud.external_id_holder(
                session, organization_id=actor.organization_id, external_id=new_external_id
            )
            if holder is not None:
                raise _external_id_taken(new_external_id)
        for name, value in values.items():
            setattr(participant, name, value)
        if request.attributes is not None:
            _merge_attributes(session, actor, participant, request.attributes)
        if request.tags is not None:
            _replace_tags(session, actor, participant, request.tags)
        try:
            await session.flush()
        except IntegrityError:  # another request took the external_id since we looked
            raise _external_id_taken(str(new_external_id)) from None
    return participant


def _external_id_taken(external_id: str) -> Conflict:
    return Conflict(
        f"another participant has the external_id {external_id!r}", field=("external_id",)
    )


class StatusChange(BaseModel):
    """Body of `PATCH /v1/participants/{id}/status`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    status: ParticipantStatus


async def set_status(
    db: Database, actor: Actor, *, participant_id: uuid.UUID, data: Mapping[str, Any]
) -> Participant:
    request = parse_input(StatusChange, data)
    async with locked_participant(db, actor, participant_id) as (_, participant, actor):
        if participant.status != request.status:
            participant.status = request.status
    return participant


class TagSet(BaseModel):
    """Body of `PUT …/state/tags`: the whole new set."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tags: Tags


class _TagBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    tag: Tag


async def set_tags(
    db: Database, actor: Actor, *, participant_id: uuid.UUID, data: Mapping[str, Any]
) -> Participant:
    """Replace the whole tag set."""
    request = parse_input(TagSet, data)
    async with locked_participant(db, actor, participant_id) as (session, participant, actor):
        _replace_tags(session, actor, participant, request.tags)
    return participant


async def add_tag(
    db: Database, actor: Actor, *, participant_id: uuid.UUID, tag: str
) -> tuple[Participant, bool]:
    """Add one tag (lower-cased); True when it was not there yet."""
    wanted = parse_input(_TagBody, {"tag": tag}).tag.lower()
    if len(wanted) > 255:
        raise ValidationFailed([FieldError(("tag",), "too_long", "must be at most 255 characters")])
    async with locked_participant(db, actor, participant_id) as (session, participant, actor):
        if wanted in participant.tags:
            return participant, False
        if len(participant.tags) >= MAX_TAGS:
            raise ValidationFailed(
                [FieldError(("tag",), "too_many", f"the participant has {MAX_TAGS} tags already")]
            )
        _replace_tags(session, actor, participant, [*participant.tags, wanted])
    return participant, True


async def remove_tag(
    db: Database, actor: Actor, *, participant_id: uuid.UUID, tag: str
) -> tuple[Participant, bool]:
    """Remove one tag (matched lower-cased); False when it was not there (nothing to do)."""
    unwanted = tag.lower()
    async with locked_participant(db, actor, participant_id) as (session, participant, actor):
        if unwanted not in participant.tags:
            return participant, False
        _replace_tags(session, actor, participant, [t for t in participant.tags if t != unwanted])
    return participant, True


class AttributeMerge(BaseModel):
    """Body of `PATCH …/state/attributes`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    attributes: Attributes


class AttributeSet(BaseModel):
    """Body of `PUT …/state/attributes/{key}`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: Annotated[AttributeValue, MinLen(1)]


class _AttributeKey(BaseModel):
    key: AttributeKey


async def merge_attributes(
    db: Database, actor: Actor, *, participant_id: uuid.UUID, data: Mapping[str, Any]
) -> Participant:
    """Given keys are set; the others stay."""
    request = parse_input(AttributeMerge, data)
    async with locked_participant(db, actor, participant_id) as (session, participant, actor):
        _merge_attributes(session, actor, participant, request.attributes)
    return participant


async def set_attribute(
    db: Database,
    actor: Actor,
    *,
    participant_id: uuid.UUID,
    key: str,
    data: Mapping[str, Any],
) -> Participant:
    """Set one attribute: `{"value": "..."}` (1-1000 characters)."""
    try:
        parse_input(_AttributeKey, {"key": key})
        bad_key: list[FieldError] = []
    except ValidationFailed as exc:
        bad_key = exc.errors
    request = parse_input(AttributeSet, data, errors=bad_key)
    async with locked_participant(db, actor, participant_id) as (session, participant, actor):
        _merge_attributes(session, actor, participant, {key: request.value})
    return participant


async def remove_attribute(
    db: Database, actor: Actor, *, participant_id: uuid.UUID, key: str
) -> tuple[Participant, bool]:
    """Remove one attribute; False when it was not there (nothing to do)."""
    async with locked_participant(db, actor, participant_id) as (session, participant, actor):
        if key not in participant.attributes:
            return participant, False
        old = participant.attributes[key]
        record(
            session, actor, participant, StateType.ATTRIBUTE, key, StateOperation.DELETE, old=old
        )
        participant.attributes = {k: v for k, v in participant.attributes.items() if k != key}
    return participant, True
