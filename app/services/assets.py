"""Assets: create, read, change, list, and link to programs (scrip-api-facts §6, §7).

An asset belongs to the organization; its `symbol` (1-16 ASCII letters and digits) is unique
within it, compared exactly as written ("PTS" and "pts" are two symbols). It is created linked
to one program and may be linked to more. `inventory_mode`, `issuance_policy`, `scale` and
`symbol` never change. Archiving is one-way; an archived asset takes no new ledger entries and
cannot be linked to more programs.
"""

from __future__ import annotations

import enum
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, StrictStr
from pydantic_core import PydanticCustomError

from app import crud
from app.core.db import Database
from app.core.formats import format_timestamp
from app.models import Asset, AssetStatus, InventoryMode, IssuancePolicy, utcnow
from app.services.amounts import PositiveAmount, decimal_places
from app.services.cursors import CursorCodec
from app.services.errors import Conflict, FieldError, NotFound, ValidationFailed
from app.services.pages import DEFAULT_PAGE_SIZE, Page, page_arguments, time_and_id
from app.services.participant_input import Documented, parse_input
from app.services.programs import Name, usable_program
from app.services.text_rules import is_storable_text

__all__ = [
    "IMMUTABLE_FIELDS",
    "AssetCreate",
    "AssetLink",
    "AssetPage",
    "AssetUpdate",
    "AssetView",
    "create_asset",
    "get_asset",
    "link_asset",
    "list_assets",
    "update_asset",
]

_SYMBOL = re.compile("[A-Za-z0-9]{1,16}")


def _symbol(value: str) -> str:
    if not _SYMBOL.fullmatch(value):
        raise PydanticCustomError("invalid", "must be 1 to 16 ASCII letters or digits")
    return value


Symbol = Annotated[StrictStr, AfterValidator(_symbol), Documented(pattern="^[A-Za-z0-9]{1,16}$")]


class AssetCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    program_id: uuid.UUID
    name: Name
    symbol: Symbol
    inventory_mode: InventoryMode
    issuance_policy: IssuancePolicy
    scale: Annotated[StrictInt, Field(ge=0, le=18)]
    max_transaction_amount: PositiveAmount | None = None


class AssetUpdate(BaseModel):
    """Left out: unchanged. `max_transaction_amount: null` removes the limit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name | None = None
    max_transaction_amount: PositiveAmount | None = None
    status: AssetStatus | None = None


#: Fields fixed at creation; a PATCH naming one is refused with the field named.
IMMUTABLE_FIELDS = ("symbol", "inventory_mode", "issuance_policy", "scale", "program_id")


@dataclass(frozen=True, slots=True)
class AssetView:
    asset: Asset
    #: The programs the asset is linked to, in the order they were linked.
    program_ids: list[uuid.UUID]


def _check_scale(amount: Decimal | None, scale: int) -> list[FieldError]:
    if amount is not None and decimal_places(amount) > scale:
        message = f"must have at most {scale} digits after the point (the asset's scale)"
        return [FieldError(("max_transaction_amount",), "invalid", message)]
    return []


async def create_asset(
    db: Database, *, organization_id: uuid.UUID, data: Mapping[str, Any]
) -> AssetView:
    """A new ACTIVE asset, linked to `program_id`. `Conflict` when the symbol is taken."""
    request = parse_input(AssetCreate, data)
    if errors := _check_scale(request.max_transaction_amount, request.scale):
        raise ValidationFailed(errors)
    now = utcnow()
    asset = Asset(
        organization_id=organization_id,
        created_at=now,
        updated_at=now,
        **request.model_dump(exclude={"program_id"}),
    )
    async with db.transaction() as session:
        await usable_program(
            session,
            organization_id=organization_id,
            program_id=request.program_id,
            field="program_id",
        )
        if not await crud.insert_asset(session, asset=asset):
            raise Conflict(
                f"the symbol {request.symbol!r} is taken by another asset", field=("symbol",)
            )
        await crud.link_asset(
            session,
            organization_id=organization_id,
            program_id=request.program_id,
            asset_id=asset.id,
            now=now,
        )
    return AssetView(asset=asset, program_ids=[request.program_id])


async def get_asset(db: Database, *, organization_id: uuid.UUID, asset_id: uuid.UUID) -> AssetView:
    async with db.read() as session:
        asset = await crud.get_asset(session, organization_id=organization_id, asset_id=asset_id)
        if asset is None:
            raise NotFound("no such asset")
        links = await crud.program_ids_by_asset(
            session, organization_id=organization_id, asset_ids=[asset_id]
        )
    return AssetView(asset=asset, program_ids=links.get(asset_id, []))


async def update_asset(
    db: Database, *, organization_id: uuid.UUID, asset_id: uuid.UUID, data: Mapping[str, Any]
) -> AssetView:
    """Change `name`, `max_transaction_amount` (null removes the limit) or archive (one-way;
    archiving again changes nothing). An immutable field is refused unless it is given its
    stored value (so that a client may send the whole object back)."""
    async with db.lookup() as session:
        stored = await crud.get_asset(session, organization_id=organization_id, asset_id=asset_id)
    if stored is None:
        raise NotFound("no such asset")
    fixed = [
        FieldError((name,), "invalid", "cannot be changed after the asset is created")
        for name in IMMUTABLE_FIELDS
        if name in data and not _same(getattr(stored, name, None), data[name])
    ]
    request = parse_input(
        AssetUpdate,
        {key: value for key, value in data.items() if key not in IMMUTABLE_FIELDS},
        nullable=("max_transaction_amount",),
        errors=fixed,
    )
    changes = request.model_dump(include=request.model_fields_set)
    now = utcnow()
    async with db.transaction() as session:
        asset = await crud.get_asset(
            session, organization_id=organization_id, asset_id=asset_id, for_update=True
        )
        if asset is None:  # pragma: no cover - assets are never deleted
            raise NotFound("no such asset")
        errors = _check_scale(changes.get("max_transaction_amount"), asset.scale)
        if asset.status is AssetStatus.ARCHIVED and changes.get("status") is AssetStatus.ACTIVE:
            errors.append(FieldError(("status",), "invalid", "archiving an asset is one-way"))
        if errors:
            raise ValidationFailed(errors)
        changes = {name: v for name, v in changes.items() if getattr(asset, name) != v}
        if changes.get("status") is AssetStatus.ARCHIVED:
            asset.deleted_at = now
        for name, value in changes.items():
            setattr(asset, name, value)
        if changes:
            asset.updated_at = now
        links = await crud.program_ids_by_asset(
            session, organization_id=organization_id, asset_ids=[asset_id]
        )
    return AssetView(asset=asset, program_ids=links.get(asset_id, []))


def _same(stored: object, given: object) -> bool:
    """Whether a PATCH repeats the stored value of an immutable field (program_id never does:
    links have their own route)."""
    if stored is None or isinstance(given, bool):
        return False
    if isinstance(stored, enum.Enum):
        stored = stored.value
    return type(stored) is type(given) and stored == given


async def link_asset(
    db: Database, *, organization_id: uuid.UUID, program_id: uuid.UUID, data: Mapping[str, Any]
) -> AssetView:
    """Link an existing asset to the program in the path. `Conflict` when linked already."""
    request = parse_input(AssetLink, data)
    async with db.transaction() as session:
        await usable_program(
            session, organization_id=organization_id, program_id=program_id, field=""
        )
        asset = await crud.get_asset(
            session, organization_id=organization_id, asset_id=request.asset_id, for_share=True
        )
        if asset is None:
            raise ValidationFailed([FieldError(("asset_id",), "not_found", "no such asset")])
        if asset.status is AssetStatus.ARCHIVED:
            raise ValidationFailed([FieldError(("asset_id",), "invalid", "the asset is archived")])
        linked = await crud.link_asset(
            session,
            organization_id=organization_id,
            program_id=program_id,
            asset_id=asset.id,
            now=utcnow(),
        )
        if not linked:
            raise Conflict("the asset is linked to this program already", field=("asset_id",))
        links = await crud.program_ids_by_asset(
            session, organization_id=organization_id, asset_ids=[asset.id]
        )
    return AssetView(asset=asset, program_ids=links.get(asset.id, []))


class AssetLink(BaseModel):
    """Body of `POST /v1/programs/{id}/assets`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    asset_id: uuid.UUID


#: One keyset page of assets.
AssetPage = Page[AssetView]


_KIND = "assets:created_at:desc"


async def list_assets(
    db: Database,
    codec: CursorCodec,
    *,
    organization_id: uuid.UUID,
    program_id: uuid.UUID | None = None,
    status: AssetStatus | None = None,
    search: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
    after: str | None = None,
    program_must_exist: bool = False,
) -> AssetPage:
    """One keyset page of the organization's assets, newest first. Raises `ValidationFailed`;
    `NotFound` for an unknown program when `program_must_exist` (the program is in the path)."""
    position, errors = page_arguments(
        codec, limit=limit, after=after, kind=_KIND, parse=time_and_id
    )
    if search is not None and (len(search) > 255 or not is_storable_text(search)):
        errors.append(FieldError(("search",), "invalid", "must be at most 255 characters of text"))
    if errors:
        raise ValidationFailed(errors)
    async with db.read() as session:
        if program_must_exist and program_id is not None:
            found = await crud.get_program(
                session, organization_id=organization_id, program_id=program_id
            )
            if found is None:
                raise NotFound("no such program")
        rows = await crud.list_assets(
            session,
            organization_id=organization_id,
            program_id=program_id,
            status=status,
            search=search,
            after=position,
            limit=limit + 1,
        )
        page = rows[:limit]
        links = await crud.program_ids_by_asset(
            session, organization_id=organization_id, asset_ids=[row.id for row in page]
        )
    return Page(
        items=[AssetView(asset=row, program_ids=links.get(row.id, [])) for row in page],
        cursors=[
            codec.encode(_KIND, [format_timestamp(row.created_at), str(row.id)]) for row in page
        ],
        has_more=len(rows) > limit,
    )
