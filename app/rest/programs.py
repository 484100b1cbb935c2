"""`/v1/programs`: parse, call the service, shape the answer."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import Response
from typing_extensions import TypedDict

from app.access import database, require_principal
from app.core.formats import format_timestamp
from app.core.responses import JSONResponse
from app.models import Program, ProgramStatus
from app.rest.body import json_body
from app.rest.listing_params import parse_query
from app.rest.routing import path_id
from app.rest.shapes import Pagination, pagination
from app.services import programs
from app.services.pages import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, SortDirection
from app.services.programs import ProgramSort

__all__ = [
    "ProgramBody",
    "ProgramList",
    "ProgramListParams",
    "create_program",
    "get_program",
    "list_programs",
    "program_body",
    "update_program",
]


class ProgramBody(TypedDict):
    id: str
    name: str
    description: str | None
    on_unknown_participant: str
    status: str
    created_at: str
    updated_at: str
    #: Set while the program is ARCHIVED.
    deleted_at: str | None


class ProgramList(TypedDict):
    data: list[ProgramBody]
    pagination: Pagination


def program_body(program: Program) -> ProgramBody:
    return {
        "id": str(program.id),
        "name": program.name,
        "description": program.description,
        "on_unknown_participant": program.on_unknown_participant,
        "status": program.status.value,
        "created_at": format_timestamp(program.created_at),
        "updated_at": format_timestamp(program.updated_at),
        "deleted_at": format_timestamp(program.deleted_at) if program.deleted_at else None,
    }


class ProgramListParams(BaseModel):
    """`GET /v1/programs` query parameters. Unknown parameters are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # The service enforces the ranges; the schema only documents them (for /openapi.json).
    limit: int = Field(
        default=DEFAULT_PAGE_SIZE, json_schema_extra={"minimum": 1, "maximum": MAX_PAGE_SIZE}
    )
    cursor: str | None = None
    status: ProgramStatus | None = None
    include_archived: bool = False
    search: Annotated[str, Field(max_length=255, pattern="^[^\\u0000]*$")] | None = None
    sort_by: ProgramSort = ProgramSort.CREATED_AT
    sort_dir: SortDirection = SortDirection.DESC


async def create_program(request: Request) -> Response:
    """`POST /v1/programs`: 201 with the new program (ACTIVE)."""
    principal = await require_principal(request)
    data = await json_body(request)
    program = await programs.create_program(
        database(request), organization_id=principal.organization_id, data=data
    )
    return JSONResponse(program_body(program), status_code=201)


async def list_programs(request: Request) -> Response:
    """`GET /v1/programs`: a page of programs, newest first; ARCHIVED ones only when asked."""
    principal = await require_principal(request)
    params = parse_query(ProgramListParams, request.query_params)
    page = await programs.list_programs(
        database(request),
        request.app.state.cursor_codec,
        organization_id=principal.organization_id,
        status=params.status,
        include_archived=params.include_archived,
        search=params.search,
        sort=params.sort_by,
        direction=params.sort_dir,
        limit=params.limit,
        after=params.cursor,
    )
    body: ProgramList = {
        "data": [program_body(program) for program in page.items],
        "pagination": pagination(page),
    }
    return JSONResponse(body)


async def get_program(request: Request) -> Response:
    """`GET /v1/programs/{id}`; 404 when unknown, malformed or another organization's."""
    principal = await require_principal(request)
    program = await programs.get_program(
        database(request),
        organization_id=principal.organization_id,
        program_id=path_id(request, "program_id", what="program"),
    )
    return JSONResponse(program_body(program))


async def update_program(request: Request) -> Response:
    """`PATCH /v1/programs/{id}`: the given fields change; 200 with the program."""
    principal = await require_principal(request)
    program_id = path_id(request, "program_id", what="program")
    data = await json_body(request)
    program = await programs.update_program(
        database(request),
        organization_id=principal.organization_id,
        program_id=program_id,
        data=data,
    )
    return JSONResponse(program_body(program))
