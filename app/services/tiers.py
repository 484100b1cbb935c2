"""Tier definitions: a program's tiers and their ranked levels (scrip-api-facts §10).

A tier's `key` is unique within its program and never changes; so is each level's `key`, which
is how `levels` in an update are matched to the stored ones (a level keeps its id and creation
time; levels left out are removed, unless a participant holds them: 409). Ranks are unique
within a tier, higher is better, and are what a participant's tier rank is read from.
Archiving is one-way: an archived tier cannot be changed or archived again (409 `tier_archived`).
Qualification rules and lifecycles are not modelled yet.
"""

from __future__ import annotations

import math
import re
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, StrictStr
from pydantic_core import PydanticCustomError
from sqlalchemy.ext.asyncio import AsyncSession

from app import crud
from app.core.db import Database
from app.models import Tier, TierLevel, TierStatus, utcnow
from app.services.cursors import CursorCodec, InvalidCursor
from app.services.errors import Conflict, FieldError, NotFound, ValidationFailed
from app.services.pages import DEFAULT_PAGE_SIZE, Page, page_arguments
from app.services.participant_input import NO_NUL, Documented, parse_input
from app.services.programs import usable_program
from app.services.text_rules import storable

__all__ = [
    "KEY_PATTERN",
    "MAX_LEVELS",
    "TierCreate",
    "TierPage",
    "TierUpdate",
    "TierView",
    "archive_tier",
    "create_tier",
    "get_tier",
    "is_tier_key",
    "list_tiers",
    "update_tier",
]

KEY_PATTERN = "^[a-z][a-z0-9_]{0,63}$"
MAX_LEVELS = 50
MAX_BENEFITS_BYTES = 8192
_KEY = re.compile(KEY_PATTERN[1:-1])


def is_tier_key(key: str) -> bool:
    """Whether `key` could name a tier (or a level); anything else names none."""
    return _KEY.fullmatch(key) is not None


def _key(value: str) -> str:
    if not _KEY.fullmatch(value):
        raise PydanticCustomError(
            "invalid",
            "must start with a lower-case letter, then lower-case letters, digits or _ "
            "(at most 64)",
        )
    return value


def _unstorable(value: object) -> bool:
    """NUL in text (PostgreSQL's jsonb refuses it) or a float that JSON cannot hold (a GraphQL
    literal such as 1e400 arrives as infinity)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(_unstorable(k) or _unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_unstorable(item) for item in value)
    return False


def _benefits(value: dict[str, Any]) -> dict[str, Any]:
    try:
        encoded = orjson.dumps(value)
    except orjson.JSONEncodeError:  # lone surrogates, or nested past orjson's depth limit
        raise PydanticCustomError("invalid", "must be valid JSON of Unicode text") from None
    if _unstorable(value):
        raise PydanticCustomError(
            "invalid", "must not contain NUL characters or numbers beyond JSON's range"
        )
    if len(encoded) > MAX_BENEFITS_BYTES:
        raise PydanticCustomError(
            "json_too_long", f"must be at most {MAX_BENEFITS_BYTES} bytes of JSON"
        )
    return value


Key = Annotated[StrictStr, AfterValidator(_key), Documented(pattern=KEY_PATTERN)]
DisplayName = Annotated[StrictStr, Field(max_length=255), AfterValidator(storable), NO_NUL]
Rank = Annotated[StrictInt, Field(ge=-(2**31), le=2**31 - 1)]


class LevelInput(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: Key
    rank: Rank
    display_name: DisplayName | None = None
    benefits: Annotated[dict[str, Any], AfterValidator(_benefits)] | None = None


Levels = Annotated[list[LevelInput], Field(min_length=1, max_length=MAX_LEVELS)]


class TierCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: Key
    display_name: DisplayName | None = None
    levels: Levels


class TierUpdate(BaseModel):
    """Left out: unchanged; `display_name` null or "" clears it. `levels` is the whole new
    list, matched to the stored levels by key."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    display_name: DisplayName | None = None
    levels: Levels | None = None


@dataclass(frozen=True, slots=True)
class TierView:
    tier: Tier
    #: Lowest rank first.
    levels: list[TierLevel]


def _repeats(data: Mapping[str, Any]) -> list[FieldError]:
    """Level keys or ranks given twice (read from the raw input, so that these are reported
    together with every other problem)."""
    levels = data.get("levels")
    if not isinstance(levels, list):
        return []
    errors: list[FieldError] = []
    for name in ("key", "rank"):
        seen = [
            (i, level[name])
            for i, level in enumerate(levels)
            if isinstance(level, dict) and isinstance(level.get(name), str | int)
        ]
        counts = Counter(value for _, value in seen)
        errors += [
            FieldError(("levels", i, name), "invalid", f"{value!r} is given to more than one level")
            for i, value in seen
            if counts[value] > 1
        ]
    return errors


def _levels(
    tier: Tier, given: list[LevelInput], stored: list[TierLevel], now: Any
) -> list[TierLevel]:
    before = {level.key: level for level in stored}
    built = []
    for level in given:
        kept = before.get(level.key)
        built.append(
            TierLevel(
                id=kept.id if kept else uuid.uuid4(),
                tier_id=tier.id,
                organization_id=tier.organization_id,
                key=level.key,
                rank=level.rank,
                display_name=level.display_name or None,
                benefits=level.benefits or {},
                created_at=kept.created_at if kept else now,
                updated_at=now,
            )
        )
    return sorted(built, key=lambda level: level.rank)


async def create_tier(
    db: Database, *, organization_id: uuid.UUID, program_id: uuid.UUID, data: Mapping[str, Any]
) -> TierView:
    request = parse_input(TierCreate, data, errors=_repeats(data))
    now = utcnow()
    tier = Tier(
        organization_id=organization_id,
        program_id=program_id,
        key=request.key,
        display_name=request.display_name or None,
        created_at=now,
        updated_at=now,
    )
    levels = _levels(tier, request.levels, [], now)
    async with db.transaction() as session:
        await usable_program(session, organization_id=organization_id, program_id=program_id)
        if not await crud.insert_tier(session, tier=tier):
            raise Conflict(
                f"the program has a tier with key {request.key!r} already", field=("key",)
            )
        await crud.replace_levels(session, tier=tier, levels=levels)
    return TierView(tier=tier, levels=levels)


async def _stored_tier(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    program_id: uuid.UUID,
    key: str,
    for_update: bool = False,
) -> tuple[Tier, list[TierLevel]]:
    if not is_tier_key(key):  # no tier has it; and PostgreSQL refuses NUL in a parameter
        raise NotFound("no such tier")
    tier = await crud.get_tier(
        session,
        organization_id=organization_id,
        program_id=program_id,
        key=key,
        for_update=for_update,
    )
    if tier is None:
        raise NotFound("no such tier")
    found = await crud.levels_by_tier(session, organization_id=organization_id, tier_ids=[tier.id])
    return tier, found.get(tier.id, [])


async def get_tier(
    db: Database, *, organization_id: uuid.UUID, program_id: uuid.UUID, key: str
) -> TierView:
    async with db.read() as session:
        tier, levels = await _stored_tier(
            session, organization_id=organization_id, program_id=program_id, key=key
        )
    return TierView(tier=tier, levels=levels)


def _archived(tier: Tier) -> Conflict:
    return Conflict(f"the tier {tier.key!r} is archived", code="tier_archived")


async def update_tier(
    db: Database,
    *,
    organization_id: uuid.UUID,
    program_id: uuid.UUID,
    key: str,
    data: Mapping[str, Any],
) -> TierView:
    fixed = [FieldError(("key",), "invalid", "cannot be changed")] if "key" in data else []
    request = parse_input(
        TierUpdate,
        {name: value for name, value in data.items() if name != "key"},
        nullable=("display_name",),
        errors=[*fixed, *_repeats(data)],
    )
    now = utcnow()
    async with db.transaction() as session:
        tier, levels = await _stored_tier(
            session,
            organization_id=organization_id,
            program_id=program_id,
            key=key,
            for_update=True,
        )
        if tier.status is TierStatus.ARCHIVED:
            raise _archived(tier)
        if request.levels is not None:
            kept = {level.key for level in request.levels}
            removed = [level.key for level in levels if level.key not in kept]
            if held := await crud.held_levels(session, tier=tier, level_keys=removed):
                raise Conflict(
                    f"participants hold the levels {held} left out of `levels`; move them first",
                    field=("levels",),
                )
            levels = _levels(tier, request.levels, levels, now)
            await crud.replace_levels(session, tier=tier, levels=levels)
        if "display_name" in request.model_fields_set:
            tier.display_name = request.display_name or None
        if request.model_fields_set:
            tier.updated_at = now
    return TierView(tier=tier, levels=levels)


async def archive_tier(
    db: Database, *, organization_id: uuid.UUID, program_id: uuid.UUID, key: str
) -> TierView:
    now = utcnow()
    async with db.transaction() as session:
        tier, levels = await _stored_tier(
            session,
            organization_id=organization_id,
            program_id=program_id,
            key=key,
            for_update=True,
        )
        if tier.status is TierStatus.ARCHIVED:
            raise _archived(tier)
        tier.status = TierStatus.ARCHIVED
        tier.archived_at = tier.updated_at = now
    return TierView(tier=tier, levels=levels)


#: One keyset page of tiers.
TierPage = Page[TierView]


_KIND = "tiers:key:asc"


async def list_tiers(
    db: Database,
    codec: CursorCodec,
    *,
    organization_id: uuid.UUID,
    program_id: uuid.UUID,
    status: TierStatus | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
    after: str | None = None,
) -> TierPage:
    """A keyset page of the program's tiers, by key. `NotFound` for an unknown program."""
    position, errors = page_arguments(codec, limit=limit, after=after, kind=_KIND, parse=_parse_key)
    if errors:
        raise ValidationFailed(errors)
    async with db.read() as session:
        found = await crud.get_program(
            session, organization_id=organization_id, program_id=program_id
        )
        if found is None:
            raise NotFound("no such program")
        rows = await crud.list_tiers(
            session,
            organization_id=organization_id,
            program_id=program_id,
            status=status,
            after=position,
            limit=limit + 1,
        )
        page = rows[:limit]
        levels = await crud.levels_by_tier(
            session, organization_id=organization_id, tier_ids=[row.id for row in page]
        )
    return Page(
        items=[TierView(tier=row, levels=levels.get(row.id, [])) for row in page],
        cursors=[codec.encode(_KIND, [row.key]) for row in page],
        has_more=len(rows) > limit,
    )


def _parse_key(key: list[Any]) -> tuple[Any, ...]:
    if len(key) != 1 or not isinstance(key[0], str):
        raise InvalidCursor("is not a cursor this API issued")
    return (key[0],)
