"""`/v1/programs/{id}/tiers`: parse, call the service, shape the answer."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import Response
from typing_extensions import TypedDict

from app.access import database, require_principal
from app.core.formats import format_timestamp
from app.core.responses import JSONResponse
from app.models import TierLevel, TierStatus
from app.rest.body import json_body
from app.rest.listing_params import parse_query
from app.rest.routing import path_id
from app.rest.shapes import Pagination, pagination
from app.services import tiers
from app.services.pages import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from app.services.tiers import TierView

__all__ = [
    "LevelBody",
    "TierBody",
    "TierList",
    "TierListParams",
    "archive_tier",
    "create_tier",
    "get_tier",
    "list_tiers",
    "tier_body",
    "update_tier",
]


class LevelBody(TypedDict):
    id: str
    key: str
    rank: int
    display_name: str | None
    benefits: dict[str, Any]
    created_at: str
    updated_at: str


class TierBody(TypedDict):
    id: str
    program_id: str
    key: str
    display_name: str | None
    #: Lowest rank first; a higher rank is better.
    levels: list[LevelBody]
    status: str
    #: Set once the tier is archived.
    archived_at: str | None
    created_at: str
    updated_at: str


class TierList(TypedDict):
    data: list[TierBody]
    pagination: Pagination


def _level_body(level: TierLevel) -> LevelBody:
    return {
        "id": str(level.id),
        "key": level.key,
        "rank": level.rank,
        "display_name": level.display_name,
        "benefits": level.benefits,
        "created_at": format_timestamp(level.created_at),
        "updated_at": format_timestamp(level.updated_at),
    }


def tier_body(view: TierView) -> TierBody:
    tier = view.tier
    return {
        "id": str(tier.id),
        "program_id": str(tier.program_id),
        "key": tier.key,
        "display_name": tier.display_name,
        "levels": [_level_body(level) for level in view.levels],
        "status": tier.status.value,
        "archived_at": format_timestamp(tier.archived_at) if tier.archived_at else None,
        "created_at": format_timestamp(tier.created_at),
        "updated_at": format_timestamp(tier.updated_at),
    }


class TierListParams(BaseModel):
    """`GET /v1/programs/{id}/tiers` query parameters. Unknown parameters are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # The service enforces the ranges; the schema only documents them (for /openapi.json).
    limit: int = Field(
        default=DEFAULT_PAGE_SIZE, json_schema_extra={"minimum": 1, "maximum": MAX_PAGE_SIZE}
    )
    cursor: str | None = None
    status: TierStatus | None = None


def _where(request: Request) -> dict[str, Any]:
    return {
        "program_id": path_id(request, "program_id", what="program"),
        "key": request.path_params["key"],
    }


async def create_tier(request: Request) -> Response:
    """`POST /v1/programs/{id}/tiers`: 201 with the new tier."""
    principal = await require_principal(request)
    program_id = path_id(request, "program_id", what="program")
    data = await json_body(request)
    view = await tiers.create_tier(
        database(request),
        organization_id=principal.organization_id,
        program_id=program_id,
        data=data,
    )
    return JSONResponse(tier_body(view), status_code=201)


async def list_tiers(request: Request) -> Response:
    """`GET /v1/programs/{id}/tiers`: a page of the program's tiers, by key."""
    principal = await require_principal(request)
    program_id = path_id(request, "program_id", what="program")
    params = parse_query(TierListParams, request.query_params)
    page = await tiers.list_tiers(
        database(request),
        request.app.state.cursor_codec,
        organization_id=principal.organization_id,
        program_id=program_id,
        status=params.status,
        limit=params.limit,
        after=params.cursor,
    )
    body: TierList = {
        "data": [tier_body(view) for view in page.items],
        "pagination": pagination(page),
    }
    return JSONResponse(body)


async def get_tier(request: Request) -> Response:
    """`GET /v1/programs/{id}/tiers/{key}`."""
    principal = await require_principal(request)
    view = await tiers.get_tier(
        database(request), organization_id=principal.organization_id, **_where(request)
    )
    return JSONResponse(tier_body(view))


async def update_tier(request: Request) -> Response:
    """`PATCH /v1/programs/{id}/tiers/{key}`: display_name, levels; 409 once archived."""
    principal = await require_principal(request)
    where = _where(request)
    data = await json_body(request)
    view = await tiers.update_tier(
        database(request), organization_id=principal.organization_id, data=data, **where
    )
    return JSONResponse(tier_body(view))


async def archive_tier(request: Request) -> Response:
    """`POST /v1/programs/{id}/tiers/{key}/archive`: one-way; again → 409 `tier_archived`."""
    principal = await require_principal(request)
    view = await tiers.archive_tier(
        database(request), organization_id=principal.organization_id, **_where(request)
    )
    return JSONResponse(tier_body(view))
