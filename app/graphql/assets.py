"""Asset queries and mutations (issue 6): parse, call the service, shape the answer."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.types.unset import UNSET

from app.graphql.context import Info
from app.graphql.pagination import PageInfo, argument_error
from app.graphql.program_types import Asset, AssetStatus, InventoryMode, IssuancePolicy
from app.graphql.types import UserError
from app.graphql.user_errors import decimal_text, present, refusal
from app.services import assets as service
from app.services.errors import NotFound, ServiceError, ValidationFailed
from app.services.pages import DEFAULT_PAGE_SIZE

__all__ = ["AssetMutation", "AssetQuery"]


@strawberry.input(description="A new ACTIVE asset, linked to programId.")
class CreateAssetInput:
    program_id: uuid.UUID
    name: str
    symbol: str = strawberry.field(description="1-16 ASCII letters or digits, unique.")
    inventory_mode: InventoryMode  # type: ignore[valid-type]
    issuance_policy: IssuancePolicy  # type: ignore[valid-type]
    scale: int = strawberry.field(description="0-18 digits after the point; never changes.")
    max_transaction_amount: Decimal | None = UNSET


@strawberry.input(
    description="Left out: unchanged. maxTransactionAmount null removes the limit; status "
    "ARCHIVED is one-way. symbol, scale, inventoryMode and issuancePolicy never change."
)
class UpdateAssetInput:
    id: uuid.UUID
    name: str | None = UNSET
    max_transaction_amount: Decimal | None = UNSET
    status: AssetStatus | None = UNSET  # type: ignore[valid-type]


@strawberry.input(description="Link an existing asset to one more program (twice: conflict).")
class LinkAssetInput:
    program_id: uuid.UUID
    asset_id: uuid.UUID


@strawberry.type
class AssetPayload:
    asset: Asset | None = strawberry.field(description="Null when userErrors is not empty.")
    user_errors: list[UserError]


@strawberry.input
class AssetFilter:
    program_id: uuid.UUID | None = strawberry.field(default=None, description="Linked to it.")
    status: AssetStatus | None = None  # type: ignore[valid-type]
    search: str | None = strawberry.field(
        default=None, description="Case-insensitive substring of the symbol or the name."
    )


@strawberry.type
class AssetEdge:
    cursor: str
    node: Asset


@strawberry.type
class AssetConnection:
    edges: list[AssetEdge]
    page_info: PageInfo


def _service_data(input_: object) -> dict[str, Any]:
    data = present(input_)
    amount = data.get("max_transaction_amount")
    if isinstance(amount, Decimal):  # the service takes amounts as decimal strings, like REST
        data["max_transaction_amount"] = decimal_text(amount)
    return data


def _prime(info: Info, view: service.AssetView) -> Asset:
    info.context.loaders.asset_program_ids.prime(view.asset.id, view.program_ids, force=True)
    return Asset.from_model(view.asset)


async def resolve_asset(info: Info, id: uuid.UUID) -> Asset | None:
    try:
        view = await service.get_asset(
            info.context.db, organization_id=info.context.principal.organization_id, asset_id=id
        )
    except NotFound:
        return None
    return _prime(info, view)


async def resolve_assets(
    info: Info,
    first: int = DEFAULT_PAGE_SIZE,
    after: str | None = None,
    filter: AssetFilter | None = None,
) -> AssetConnection:
    given = filter or AssetFilter()
    info.context.nodes.spend(first)
    try:
        page = await service.list_assets(
            info.context.db,
            info.context.cursor_codec,
            organization_id=info.context.principal.organization_id,
            program_id=given.program_id,
            status=given.status,
            search=given.search,
            limit=first,
            after=after,
        )
    except ValidationFailed as exc:
        raise argument_error(exc) from None
    return AssetConnection(
        edges=[
            AssetEdge(cursor=cursor, node=_prime(info, view))
            for view, cursor in zip(page.items, page.cursors, strict=True)
        ],
        page_info=PageInfo(has_next_page=page.has_more, end_cursor=page.end_cursor),
    )


@strawberry.type
class AssetQuery:
    asset: Asset | None = strawberry.field(
        resolver=resolve_asset, description="Null when there is no such asset in your organization."
    )
    assets: AssetConnection = strawberry.field(
        resolver=resolve_assets,
        description="The organization's assets, newest first (first: 1-200).",
    )


@strawberry.type
class AssetMutation:
    @strawberry.mutation
    async def create_asset(self, info: Info, input: CreateAssetInput) -> AssetPayload:
        try:
            view = await service.create_asset(
                info.context.db,
                organization_id=info.context.principal.organization_id,
                data=_service_data(input),
            )
        except ServiceError as exc:
            return AssetPayload(asset=None, user_errors=refusal(exc))
        return AssetPayload(asset=_prime(info, view), user_errors=[])

    @strawberry.mutation
    async def update_asset(self, info: Info, input: UpdateAssetInput) -> AssetPayload:
        data = _service_data(input)
        asset_id = data.pop("id")
        try:
            view = await service.update_asset(
                info.context.db,
                organization_id=info.context.principal.organization_id,
                asset_id=asset_id,
                data=data,
            )
        except ServiceError as exc:
            return AssetPayload(asset=None, user_errors=refusal(exc))
        return AssetPayload(asset=_prime(info, view), user_errors=[])

    @strawberry.mutation
    async def link_asset(self, info: Info, input: LinkAssetInput) -> AssetPayload:
        data = present(input)
        program_id = data.pop("program_id")
        try:
            view = await service.link_asset(
                info.context.db,
                organization_id=info.context.principal.organization_id,
                program_id=program_id,
                data=data,
            )
        except ServiceError as exc:
            return AssetPayload(asset=None, user_errors=refusal(exc, not_found_field="program_id"))
        return AssetPayload(asset=_prime(info, view), user_errors=[])
