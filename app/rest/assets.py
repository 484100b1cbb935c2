"""`/v1/assets` and `/v1/programs/{id}/assets`: parse, call the service, shape the answer."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import Response
from typing_extensions import TypedDict

from app.access import database, require_principal
from app.core.formats import format_decimal, format_timestamp
from app.core.responses import JSONResponse
from app.models import AssetStatus
from app.rest.body import json_body
from app.rest.listing_params import parse_query
from app.rest.routing import path_id
from app.rest.shapes import Pagination, pagination
from app.services import assets
from app.services.assets import AssetPage, AssetView
from app.services.pages import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

__all__ = [
    "AssetBody",
    "AssetList",
    "AssetListParams",
    "ProgramAssetListParams",
    "asset_body",
    "create_asset",
    "get_asset",
    "link_asset",
    "list_assets",
    "list_program_assets",
    "update_asset",
]


class AssetBody(TypedDict):
    id: str
    name: str
    symbol: str
    inventory_mode: str
    issuance_policy: str
    scale: int
    #: A decimal string; null means no limit.
    max_transaction_amount: str | None
    program_ids: list[str]
    status: str
    created_at: str
    updated_at: str
    #: Set once the asset is archived.
    deleted_at: str | None


class AssetList(TypedDict):
    data: list[AssetBody]
    pagination: Pagination


def asset_body(view: AssetView) -> AssetBody:
    asset = view.asset
    limit = asset.max_transaction_amount
    return {
        "id": str(asset.id),
        "name": asset.name,
        "symbol": asset.symbol,
        "inventory_mode": asset.inventory_mode.value,
        "issuance_policy": asset.issuance_policy.value,
        "scale": asset.scale,
        "max_transaction_amount": format_decimal(limit) if limit is not None else None,
        "program_ids": [str(program_id) for program_id in view.program_ids],
        "status": asset.status.value,
        "created_at": format_timestamp(asset.created_at),
        "updated_at": format_timestamp(asset.updated_at),
        "deleted_at": format_timestamp(asset.deleted_at) if asset.deleted_at else None,
    }


def _asset_list(page: AssetPage) -> AssetList:
    return {
        "data": [asset_body(view) for view in page.items],
        "pagination": pagination(page),
    }


class ProgramAssetListParams(BaseModel):
    """`GET /v1/programs/{id}/assets` query parameters. Unknown parameters are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # The service enforces the ranges; the schema only documents them (for /openapi.json).
    limit: int = Field(
        default=DEFAULT_PAGE_SIZE, json_schema_extra={"minimum": 1, "maximum": MAX_PAGE_SIZE}
    )
    cursor: str | None = None
    status: AssetStatus | None = None
    search: Annotated[str, Field(max_length=255, pattern="^[^\\u0000]*$")] | None = None


class AssetListParams(ProgramAssetListParams):
    """`GET /v1/assets` query parameters: those of a program's list, and `program_id`."""

    program_id: uuid.UUID | None = None


async def create_asset(request: Request) -> Response:
    """`POST /v1/assets`: 201 with the new asset, linked to `program_id`."""
    principal = await require_principal(request)
    data = await json_body(request)
    view = await assets.create_asset(
        database(request), organization_id=principal.organization_id, data=data
    )
    return JSONResponse(asset_body(view), status_code=201)


async def list_assets(request: Request) -> Response:
    """`GET /v1/assets`: a page of assets, newest first."""
    principal = await require_principal(request)
    params = parse_query(AssetListParams, request.query_params)
    page = await assets.list_assets(
        database(request),
        request.app.state.cursor_codec,
        organization_id=principal.organization_id,
        program_id=params.program_id,
        status=params.status,
        search=params.search,
        limit=params.limit,
        after=params.cursor,
    )
    return JSONResponse(_asset_list(page))


async def get_asset(request: Request) -> Response:
    """`GET /v1/assets/{id}`; 404 when unknown, malformed or another organization's."""
    principal = await require_principal(request)
    view = await assets.get_asset(
        database(request),
        organization_id=principal.organization_id,
        asset_id=path_id(request, "asset_id", what="asset"),
    )
    return JSONResponse(asset_body(view))


async def update_asset(request: Request) -> Response:
    """`PATCH /v1/assets/{id}`: name, max_transaction_amount, status ARCHIVED (one-way)."""
    principal = await require_principal(request)
    asset_id = path_id(request, "asset_id", what="asset")
    data = await json_body(request)
    view = await assets.update_asset(
        database(request), organization_id=principal.organization_id, asset_id=asset_id, data=data
    )
    return JSONResponse(asset_body(view))


async def link_asset(request: Request) -> Response:
    """`POST /v1/programs/{id}/assets` `{"asset_id"}`: 201 with the asset; 409 if linked already."""
    principal = await require_principal(request)
    program_id = path_id(request, "program_id", what="program")
    data = await json_body(request)
    view = await assets.link_asset(
        database(request),
        organization_id=principal.organization_id,
        program_id=program_id,
        data=data,
    )
    return JSONResponse(asset_body(view), status_code=201)


async def list_program_assets(request: Request) -> Response:
    """`GET /v1/programs/{id}/assets`: a page of the assets linked to the program."""
    principal = await require_principal(request)
    program_id = path_id(request, "program_id", what="program")
    params = parse_query(ProgramAssetListParams, request.query_params)
    page = await assets.list_assets(
        database(request),
        request.app.state.cursor_codec,
        organization_id=principal.organization_id,
        program_id=program_id,
        status=params.status,
        search=params.search,
        limit=params.limit,
        after=params.cursor,
        program_must_exist=True,
    )
    return JSONResponse(_asset_list(page))
