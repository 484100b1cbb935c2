"""`/v1/participants`: parse, call the service, shape the answer."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app.access import database, require_principal
from app.core.responses import JSONResponse
from app.rest.body import read_json_object
from app.rest.shapes import participant_body
from app.services import participants as service

__all__ = ["create_participant"]


async def create_participant(request: Request) -> Response:
    """`POST /v1/participants`: 201 when created, 200 when the external_id existed (an upsert)."""
    principal = await require_principal(request)
    data = await read_json_object(request, max_bytes=request.app.state.settings.max_body_bytes)
    db = database(request)
    outcome = await service.create_participant(
        db, organization_id=principal.organization_id, data=data
    )
    state = outcome.known_state or await service.load_participant_state(
        db, organization_id=principal.organization_id, participant_id=outcome.participant.id
    )
    return JSONResponse(
        participant_body(outcome.participant, state), status_code=201 if outcome.created else 200
    )
