"""A participant's counters (scrip-api-facts §5.10): absolute sets, removal, lazy auto-reset.

A counter with `reset_after` (a duration such as "720h" or "1h30m") starts a period when it is
created, set, or auto-reset. Once `last_reset_at + reset_after` has passed, reads give "0" while
the stored value is left alone; the next write records an `auto_reset` in the state history and
starts a new period. Nothing runs in the background.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError
from sqlalchemy.ext.asyncio import AsyncSession

from app import crud
from app.core.db import Database
from app.core.formats import format_decimal
from app.crud import HeldCounter
from app.models import Counter, StateOperation, StateType
from app.services.actor import Actor
from app.services.amounts import EXACT
from app.services.errors import FieldError, NotFound, ValidationFailed
from app.services.participant_input import parse_input
from app.services.participant_writes import locked_participant, record
from app.services.text_rules import no_controls

__all__ = [
    "CounterSet",
    "effective",
    "get_counter",
    "list_counters",
    "parse_duration",
    "remove_counter",
    "set_counter",
]

_DURATION = re.compile(r"(?:(\d{1,9})h)?(?:(\d{1,9})m)?(?:(\d{1,9})s)?")
_MAX_DURATION = timedelta(days=100 * 366)


def parse_duration(text: str) -> timedelta:
    """ "720h", "90m", "1h30m", "45s" → a positive timedelta (at most about 100 years)."""
    match = _DURATION.fullmatch(text)
    if not text or match is None:
        raise ValueError(text)
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    duration = timedelta(hours=hours, minutes=minutes, seconds=seconds)
    if not timedelta(0) < duration <= _MAX_DURATION:
        raise ValueError(text)
    return duration


def _duration(value: object) -> object:
    if value == "" or not isinstance(value, str):
        return value  # "" removes auto-reset; other types fail the str check
    try:
        parse_duration(value)
    except ValueError:
        raise PydanticCustomError(
            "invalid",
            'must be a duration of hours, minutes and seconds, such as "720h" or "1h30m"',
        ) from None
    return value


_VALUE_PATTERN = r"^-?[0-9]{1,30}(\.[0-9]{1,18})?$"
_VALUE = re.compile(_VALUE_PATTERN)


def _counter_value(value: object) -> Decimal:
    if not isinstance(value, str) or not _VALUE.fullmatch(value):
        raise PydanticCustomError("invalid", 'must be a decimal string such as "42" or "-1.5"')
    return EXACT.plus(Decimal(value))  # "-0" is "0" (PostgreSQL keeps no sign on zero)


class CounterSet(BaseModel):
    """Body of `PUT …/state/counters/{key}`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: Annotated[
        Decimal,
        BeforeValidator(_counter_value),
        WithJsonSchema({"type": "string", "pattern": _VALUE_PATTERN}),
    ]
    #: Omitted: unchanged; "": no auto-reset.
    reset_after: (
        Annotated[str, StringConstraints(max_length=32), BeforeValidator(_duration)] | None
    ) = None


class _CounterKey(BaseModel):
    key: Annotated[
        str, StringConstraints(min_length=1, max_length=255), AfterValidator(no_controls)
    ]


_KEY_RULE = "must be 1 to 255 characters without control characters"


def effective(counter: HeldCounter, now: datetime) -> HeldCounter:
    """The counter as reads see it: value 0 once its period has run out."""
    if _expired(counter, now):
        return replace(counter, value=Decimal(0))
    return counter


def _expired(counter: Counter | HeldCounter, now: datetime) -> bool:
    if not counter.reset_after or counter.last_reset_at is None:
        return False
    try:
        return counter.last_reset_at + parse_duration(counter.reset_after) <= now
    except ValueError:  # pragma: no cover - only valid durations are stored
        return False


async def set_counter(
    db: Database,
    actor: Actor,
    *,
    participant_id: uuid.UUID,
    key: str,
    data: Mapping[str, Any],
) -> HeldCounter:
    """Set the counter to `value` (creating it), starting a new period."""
    bad_key = (
        []
        if _is_key(key)
        else [
            FieldError(("key",), "invalid", "must be 1-100 characters without control characters")
        ]
    )
    request = parse_input(CounterSet, data, errors=bad_key)
    async with locked_participant(db, actor, participant_id) as (session, participant, actor):
        counter = await session.get(Counter, (participant.id, key))
        old: str | None = None
        if counter is None:
            counter = Counter(
                participant_id=participant.id,
                key=key,
                organization_id=actor.organization_id,
                value=request.value,
            )
            session.add(counter)
        else:
            if _expired(counter, actor.now):
                record(
                    session,
                    actor,
                    participant,
                    StateType.COUNTER,
                    key,
                    StateOperation.AUTO_RESET,
                    old=format_decimal(counter.value),
                    new="0",
                )
                counter.value = Decimal(0)
            old = format_decimal(counter.value)
        if "reset_after" in request.model_fields_set:
            counter.reset_after = request.reset_after or None
        counter.value = request.value
        counter.last_reset_at = actor.now
        counter.updated_at = actor.now
        record(
            session,
            actor,
            participant,
            StateType.COUNTER,
            key,
            StateOperation.SET,
            old=old,
            new=format_decimal(request.value),
        )
    return HeldCounter.of(counter)


async def remove_counter(
    db: Database, actor: Actor, *, participant_id: uuid.UUID, key: str
) -> bool:
    """Remove the counter for good; False when there was none."""
    async with locked_participant(db, actor, participant_id) as (session, participant, actor):
        counter = await session.get(Counter, (participant.id, key)) if _is_key(key) else None
        if counter is None:
            return False
        if _expired(counter, actor.now):
            record(
                session,
                actor,
                participant,
                StateType.COUNTER,
                key,
                StateOperation.AUTO_RESET,
                old=format_decimal(counter.value),
                new="0",
            )
        shown = effective(HeldCounter.of(counter), actor.now)
        record(
            session,
            actor,
            participant,
            StateType.COUNTER,
            key,
            StateOperation.DELETE,
            old=format_decimal(shown.value),
        )
        await session.delete(counter)
    return True


def _is_key(key: str) -> bool:
    try:
        parse_input(_CounterKey, {"key": key})
    except ValidationFailed:
        return False
    return True


async def list_counters(
    db: Database, *, organization_id: uuid.UUID, participant_id: uuid.UUID, now: datetime
) -> list[HeldCounter]:
    """The participant's counters by key, with their effective values."""
    async with db.read() as session:
        await _require_participant(session, organization_id, participant_id)
        found = await crud.counters_by_participant(
            session, organization_id=organization_id, participant_ids=[participant_id]
        )
    return [effective(row, now) for row in found.get(participant_id, [])]


async def get_counter(
    db: Database,
    *,
    organization_id: uuid.UUID,
    participant_id: uuid.UUID,
    key: str,
    now: datetime,
) -> HeldCounter:
    """One counter with its effective value; `NotFound` when the participant has none by `key`."""
    counters = await list_counters(
        db, organization_id=organization_id, participant_id=participant_id, now=now
    )
    for counter in counters:
        if counter.key == key:
            return counter
    raise NotFound("no such counter")


async def _require_participant(
    session: AsyncSession, organization_id: uuid.UUID, participant_id: uuid.UUID
) -> None:
    found = await crud.participants_by_id(
        session, organization_id=organization_id, ids=[participant_id]
    )
    if participant_id not in found:
        raise NotFound("no such participant")
