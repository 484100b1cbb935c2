"""`/v1/participants`: parse, call the service, shape the answer."""

from __future__ import annotations

import uuid
from dataclasses import replace

from starlette.requests import Request
from starlette.responses import Response

from app.access import actor, database, now, require_principal
from app.core.responses import JSONResponse
from app.models import Participant
from app.rest.body import json_body
from app.rest.listing_params import parse_list_params
from app.rest.routing import path_id
from app.rest.shapes import SUMMARY_UNREAD, participant_body, participant_list
from app.services import participant_listing, participant_writes, participants
from app.services.errors import ValidationFailed

__all__ = [
    "create_participant",
    "get_participant",
    "list_participants",
    "participant_id",
    "set_status",
    "update_participant",
]


async def create_participant(request: Request) -> Response:
    """`POST /v1/participants`: 201 when created, 200 when the external_id existed (an upsert)."""
    principal = await require_principal(request)
    data = await json_body(request)
    db = database(request)
    outcome = await participants.create_participant(
        db, organization_id=principal.organization_id, data=data, api_key_id=principal.api_key_id
    )
    state = outcome.known_state or await participants.load_participant_state(
        db, organization_id=principal.organization_id, participant_id=outcome.participant.id
    )
    return JSONResponse(
        participant_body(outcome.participant, state), status_code=201 if outcome.created else 200
    )


async def list_participants(request: Request) -> Response:
    """`GET /v1/participants`: a page of slim participants, newest first by default."""
    principal = await require_principal(request)
    params = parse_list_params(request.query_params)
    try:
        page = await participant_listing.list_participants(
            database(request),
            request.app.state.cursor_codec,
            organization_id=principal.organization_id,
            filter=params.filter(),
            sort=params.sort_by,
            direction=params.sort_dir,
            limit=params.limit,
            after=params.cursor,
            unread=SUMMARY_UNREAD,
        )
    except ValidationFailed as exc:
        raise ValidationFailed(
            [replace(e, path=(_QUERY_NAMES.get(str(e.path[0]), e.path[0]),)) for e in exc.errors]
        ) from None
    return JSONResponse(participant_list(page))


#: Service argument → query parameter, where they differ.
_QUERY_NAMES = {"created_from": "from", "created_to": "to"}


def participant_id(request: Request) -> uuid.UUID:
    return path_id(request, "participant_id", what="participant")


async def get_participant(request: Request) -> Response:
    """`GET /v1/participants/{id}`: the whole participant; 404 if unknown, malformed or foreign."""
    principal = await require_principal(request)
    participant, state = await participants.get_participant_detail(
        database(request),
        organization_id=principal.organization_id,
        participant_id=participant_id(request),
        now=now(request),
    )
    return JSONResponse(participant_body(participant, state))


async def _answer_whole(request: Request, participant: Participant) -> Response:
    state = await participants.load_participant_state(
        database(request),
        organization_id=participant.organization_id,
        participant_id=participant.id,
        now=now(request),
    )
    return JSONResponse(participant_body(participant, state))


async def update_participant(request: Request) -> Response:
    """`PATCH /v1/participants/{id}`: profile, external_id, attributes (merged), tags (replaced)."""
    principal = await require_principal(request)
    target = participant_id(request)
    data = await json_body(request)
    participant = await participant_writes.update_participant(
        database(request), actor(request, principal), participant_id=target, data=data
    )
    return await _answer_whole(request, participant)


async def set_status(request: Request) -> Response:
    """`PATCH /v1/participants/{id}/status` `{"status"}`: 200 with the whole participant."""
    principal = await require_principal(request)
    target = participant_id(request)
    data = await json_body(request)
    participant = await participant_writes.set_status(
        database(request), actor(request, principal), participant_id=target, data=data
    )
    return await _answer_whole(request, participant)
