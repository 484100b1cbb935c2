"""`/v1/participants/{id}/state/…` and `…/activity/state-history`: parse, call the service,
shape the answer (scrip-api-facts §5.8-§5.12)."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import Response
from typing_extensions import TypedDict

from app.access import actor, database, now, require_principal
from app.core.formats import format_decimal, format_timestamp
from app.core.responses import JSONResponse
from app.crud import HeldCounter, HeldTier, HistoryFilter
from app.models import StateChange, StateOperation, StateType
from app.rest.body import json_body
from app.rest.listing_params import parse_query
from app.rest.participants import participant_id
from app.rest.shapes import ONE_PAGE, Pagination, pagination
from app.services import participant_counters, participant_tiers, participant_writes, participants
from app.services.state_history import DEFAULT_HISTORY_PAGE, MAX_HISTORY_PAGE, list_history

__all__ = [
    "AttributeItem",
    "AttributeList",
    "AttributesBody",
    "CounterBody",
    "CounterList",
    "HeldTierBody",
    "HeldTierList",
    "HistoryList",
    "HistoryParams",
    "ProgramParam",
    "TagItem",
    "TagList",
    "TagsBody",
]


def _nothing() -> Response:
    return Response(status_code=204)


# --- tags -------------------------------------------------------------------------------------


class TagItem(TypedDict):
    tag: str


class TagList(TypedDict):
    data: list[TagItem]
    pagination: Pagination


class TagsBody(TypedDict):
    tags: list[str]


async def list_tags(request: Request) -> Response:
    """`GET …/state/tags`: every tag (at most 100, so one page)."""
    principal = await require_principal(request)
    participant = await participants.get_participant(
        database(request),
        organization_id=principal.organization_id,
        participant_id=participant_id(request),
    )
    return JSONResponse({"data": [{"tag": t} for t in participant.tags], "pagination": ONE_PAGE})


async def set_tags(request: Request) -> Response:
    """`PUT …/state/tags` `{"tags": [...]}`: replace them all."""
    principal = await require_principal(request)
    target = participant_id(request)
    participant = await participant_writes.set_tags(
        database(request),
        actor(request, principal),
        participant_id=target,
        data=await json_body(request),
    )
    return JSONResponse({"tags": participant.tags})


async def add_tag(request: Request) -> Response:
    """`PUT …/state/tags/{tag}`: 201 when added, 200 when it was there already."""
    principal = await require_principal(request)
    tag = request.path_params["tag"]
    _, added = await participant_writes.add_tag(
        database(request),
        actor(request, principal),
        participant_id=participant_id(request),
        tag=tag,
    )
    return JSONResponse({"tag": tag.lower()}, status_code=201 if added else 200)


async def remove_tag(request: Request) -> Response:
    """`DELETE …/state/tags/{tag}`: 204, also when it was not there."""
    principal = await require_principal(request)
    await participant_writes.remove_tag(
        database(request),
        actor(request, principal),
        participant_id=participant_id(request),
        tag=request.path_params["tag"],
    )
    return _nothing()


# --- attributes -------------------------------------------------------------------------------


class AttributeItem(TypedDict):
    key: str
    value: str


class AttributeList(TypedDict):
    data: list[AttributeItem]
    pagination: Pagination


class AttributesBody(TypedDict):
    attributes: dict[str, str]


async def list_attributes(request: Request) -> Response:
    """`GET …/state/attributes`: every attribute (at most 100, so one page), by key."""
    principal = await require_principal(request)
    participant = await participants.get_participant(
        database(request),
        organization_id=principal.organization_id,
        participant_id=participant_id(request),
    )
    items = [{"key": k, "value": v} for k, v in sorted(participant.attributes.items())]
    return JSONResponse({"data": items, "pagination": ONE_PAGE})


async def merge_attributes(request: Request) -> Response:
    """`PATCH …/state/attributes` `{"attributes": {...}}`: merged; answers them all."""
    principal = await require_principal(request)
    target = participant_id(request)
    participant = await participant_writes.merge_attributes(
        database(request),
        actor(request, principal),
        participant_id=target,
        data=await json_body(request),
    )
    return JSONResponse({"attributes": participant.attributes})


async def set_attribute(request: Request) -> Response:
    """`PUT …/state/attributes/{key}` `{"value"}`."""
    principal = await require_principal(request)
    target, key = participant_id(request), request.path_params["key"]
    participant = await participant_writes.set_attribute(
        database(request),
        actor(request, principal),
        participant_id=target,
        key=key,
        data=await json_body(request),
    )
    return JSONResponse({"key": key, "value": participant.attributes[key]})


async def remove_attribute(request: Request) -> Response:
    """`DELETE …/state/attributes/{key}`: 204, also when it was not there."""
    principal = await require_principal(request)
    await participant_writes.remove_attribute(
        database(request),
        actor(request, principal),
        participant_id=participant_id(request),
        key=request.path_params["key"],
    )
    return _nothing()


# --- counters ---------------------------------------------------------------------------------


class CounterBody(TypedDict):
    key: str
    #: The effective value: "0" once an auto-reset period has run out.
    value: str
    reset_after: str | None
    last_reset_at: str | None


class CounterList(TypedDict):
    data: list[CounterBody]
    pagination: Pagination


def counter_body(counter: HeldCounter) -> CounterBody:
    return {
        "key": counter.key,
        "value": format_decimal(counter.value),
        "reset_after": counter.reset_after,
        "last_reset_at": format_timestamp(counter.last_reset_at) if counter.last_reset_at else None,
    }


async def list_counters(request: Request) -> Response:
    """`GET …/state/counters`: every counter, by key, with effective values."""
    principal = await require_principal(request)
    counters = await participant_counters.list_counters(
        database(request),
        organization_id=principal.organization_id,
        participant_id=participant_id(request),
        now=now(request),
    )
    return JSONResponse({"data": [counter_body(c) for c in counters], "pagination": ONE_PAGE})


async def get_counter(request: Request) -> Response:
    """`GET …/state/counters/{key}`; 404 when there is no such counter."""
    principal = await require_principal(request)
    counter = await participant_counters.get_counter(
        database(request),
        organization_id=principal.organization_id,
        participant_id=participant_id(request),
        key=request.path_params["key"],
        now=now(request),
    )
    return JSONResponse(counter_body(counter))


async def set_counter(request: Request) -> Response:
    """`PUT …/state/counters/{key}` `{"value", "reset_after"?}`: an absolute set."""
    principal = await require_principal(request)
    target, key = participant_id(request), request.path_params["key"]
    counter = await participant_counters.set_counter(
        database(request),
        actor(request, principal),
        participant_id=target,
        key=key,
        data=await json_body(request),
    )
    return JSONResponse(counter_body(counter))


async def remove_counter(request: Request) -> Response:
    """`DELETE …/state/counters/{key}`: 204, also when there was none."""
    principal = await require_principal(request)
    await participant_counters.remove_counter(
        database(request),
        actor(request, principal),
        participant_id=participant_id(request),
        key=request.path_params["key"],
    )
    return _nothing()


# --- tier levels ------------------------------------------------------------------------------


class ProgramParam(BaseModel):
    """The query of every `…/state/tiers` route."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    program_id: uuid.UUID


class HeldTierBody(TypedDict):
    key: str
    level: str
    #: From the tier definition.
    rank: int
    display_name: str | None
    benefits: dict[str, Any]
    acquired_at: str | None
    expires_at: str | None


class HeldTierList(TypedDict):
    data: list[HeldTierBody]
    pagination: Pagination


def held_tier_body(held: HeldTier) -> HeldTierBody:
    return {
        "key": held.tier_key,
        "level": held.level,
        "rank": held.rank,
        "display_name": held.level_display_name,
        "benefits": held.benefits or {},
        "acquired_at": format_timestamp(held.acquired_at) if held.acquired_at else None,
        "expires_at": format_timestamp(held.expires_at) if held.expires_at else None,
    }


def _program(request: Request) -> uuid.UUID:
    return parse_query(ProgramParam, request.query_params).program_id


async def list_tier_levels(request: Request) -> Response:
    """`GET …/state/tiers?program_id=`: the participant's levels in the program's tiers."""
    principal = await require_principal(request)
    target, program_id = participant_id(request), _program(request)
    held = await participant_tiers.list_held_tiers(
        database(request),
        organization_id=principal.organization_id,
        participant_id=target,
        program_id=program_id,
    )
    return JSONResponse({"data": [held_tier_body(row) for row in held], "pagination": ONE_PAGE})


async def get_tier_level(request: Request) -> Response:
    """`GET …/state/tiers/{key}?program_id=`; 404 when the participant holds no level in it."""
    principal = await require_principal(request)
    target, program_id = participant_id(request), _program(request)
    held = await participant_tiers.get_held_tier(
        database(request),
        organization_id=principal.organization_id,
        participant_id=target,
        program_id=program_id,
        key=request.path_params["key"],
    )
    return JSONResponse(held_tier_body(held))


async def set_tier_level(request: Request) -> Response:
    """`PUT …/state/tiers/{key}?program_id=` `{"level", "expires_at"?}`."""
    principal = await require_principal(request)
    target, program_id = participant_id(request), _program(request)
    data = await json_body(request)
    held = await participant_tiers.set_tier_level(
        database(request),
        actor(request, principal),
        participant_id=target,
        program_id=program_id,
        key=request.path_params["key"],
        data=data,
    )
    return JSONResponse(held_tier_body(held))


async def remove_tier_level(request: Request) -> Response:
    """`DELETE …/state/tiers/{key}?program_id=`: 204, also when no level was held."""
    principal = await require_principal(request)
    target, program_id = participant_id(request), _program(request)
    await participant_tiers.remove_tier_level(
        database(request),
        actor(request, principal),
        participant_id=target,
        program_id=program_id,
        key=request.path_params["key"],
    )
    return _nothing()


# --- history ----------------------------------------------------------------------------------


class HistoryParams(BaseModel):
    """`GET …/activity/state-history` query parameters. Unknown parameters are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    state_type: StateType | None = None
    key: str | None = Field(default=None, json_schema_extra={"maxLength": 255})
    program_id: uuid.UUID | None = None
    operation: StateOperation | None = None
    changed_from: AwareDatetime | None = Field(default=None, alias="from")
    changed_to: AwareDatetime | None = Field(default=None, alias="to")
    #: On the time of the event that made the change. No change is made by events yet (rules
    #: and events are not built), so either one selects nothing.
    event_from: AwareDatetime | None = None
    event_to: AwareDatetime | None = None
    limit: int = Field(
        default=DEFAULT_HISTORY_PAGE, json_schema_extra={"minimum": 1, "maximum": MAX_HISTORY_PAGE}
    )
    cursor: str | None = None


class HistoryEntry(TypedDict):
    id: str
    state_type: str
    key: str
    operation: str
    old_value: str | None
    new_value: str | None
    program_id: str | None
    changed_at: str
    changed_by_api_key_id: str | None
    #: The event and rule that made the change; always null until events and rules exist.
    event_id: str | None
    rule_id: str | None


class HistoryList(TypedDict):
    data: list[HistoryEntry]
    pagination: Pagination


def history_entry(row: StateChange) -> HistoryEntry:
    return {
        "id": str(row.id),
        "state_type": row.state_type.value,
        "key": row.key,
        "operation": row.operation.value,
        "old_value": row.old_value,
        "new_value": row.new_value,
        "program_id": str(row.program_id) if row.program_id else None,
        "changed_at": format_timestamp(row.changed_at),
        "changed_by_api_key_id": str(row.changed_by_api_key_id)
        if row.changed_by_api_key_id
        else None,
        "event_id": None,
        "rule_id": None,
    }


async def state_history(request: Request) -> Response:
    """`GET …/activity/state-history`: the participant's state changes, newest first."""
    principal = await require_principal(request)
    target = participant_id(request)
    params = parse_query(HistoryParams, request.query_params)
    page = await list_history(
        database(request),
        request.app.state.cursor_codec,
        organization_id=principal.organization_id,
        participant_id=target,
        filter=HistoryFilter(
            state_type=params.state_type,
            key=params.key,
            program_id=params.program_id,
            operation=params.operation,
            changed_from=params.changed_from,
            changed_to=params.changed_to,
            made_by_event=params.event_from is not None or params.event_to is not None,
        ),
        limit=params.limit,
        after=params.cursor,
    )
    return JSONResponse(
        {
            "data": [history_entry(row) for row in page.items],
            "pagination": pagination(page),
        }
    )
