"""Assets and their links to programs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.crud.dialect import insert_for
from app.crud.keyset import contains, keyset_page
from app.crud.state import group_pairs
from app.models import Asset, AssetStatus, ProgramAsset

__all__ = [
    "assets_by_program",
    "get_asset",
    "insert_asset",
    "link_asset",
    "list_assets",
    "program_ids_by_asset",
]


async def insert_asset(session: AsyncSession, *, asset: Asset) -> bool:
    """Insert `asset` in one statement; False (and nothing written) when its symbol is taken."""
    insert = insert_for(session)
    stmt = (
        insert(Asset)
        .values(asset.model_dump())
        .on_conflict_do_nothing(index_elements=["organization_id", "symbol"])
        .returning(col(Asset.id))
    )
    return (await session.scalar(stmt)) is not None


async def link_asset(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    program_id: uuid.UUID,
    asset_id: uuid.UUID,
    now: datetime,
) -> bool:
    """Link the asset to the program; False when it was linked already."""
    insert = insert_for(session)
    stmt = (
        insert(ProgramAsset)
        .values(
            program_id=program_id,
            asset_id=asset_id,
            organization_id=organization_id,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["program_id", "asset_id"])
        .returning(col(ProgramAsset.asset_id))
    )
    return (await session.scalar(stmt)) is not None


async def get_asset(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    asset_id: uuid.UUID,
    for_update: bool = False,
    for_share: bool = False,
) -> Asset | None:
    query = select(Asset).where(
        col(Asset.id) == asset_id, col(Asset.organization_id) == organization_id
    )
    if for_update:
        query = query.with_for_update()
    elif for_share:  # PostgreSQL FOR KEY SHARE (as foreign key checks take): a FOR UPDATE waits
        query = query.with_for_update(read=True, key_share=True)
    return await session.scalar(query)


async def program_ids_by_asset(
    session: AsyncSession, *, organization_id: uuid.UUID, asset_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """The programs each asset is linked to, in the order they were linked."""
    rows = await session.execute(
        select(col(ProgramAsset.asset_id), col(ProgramAsset.program_id))
        .where(
            col(ProgramAsset.organization_id) == organization_id,
            col(ProgramAsset.asset_id).in_(asset_ids),
        )
        .order_by(col(ProgramAsset.created_at), col(ProgramAsset.program_id))
    )
    return group_pairs((key, value) for key, value in rows)


async def assets_by_program(
    session: AsyncSession, *, organization_id: uuid.UUID, program_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Asset]]:
    """The assets linked to each program, in the order they were linked."""
    rows = await session.execute(
        select(col(ProgramAsset.program_id), Asset)
        .join(Asset, _linked)
        .where(
            col(ProgramAsset.organization_id) == organization_id,
            col(ProgramAsset.program_id).in_(program_ids),
        )
        .order_by(col(ProgramAsset.created_at), col(ProgramAsset.asset_id))
    )
    return group_pairs((key, value) for key, value in rows)


_linked = and_(
    col(Asset.id) == col(ProgramAsset.asset_id),
    col(Asset.organization_id) == col(ProgramAsset.organization_id),
)


async def list_assets(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    program_id: uuid.UUID | None,
    status: AssetStatus | None,
    search: str | None,
    after: Sequence[Any] | None,
    limit: int,
) -> list[Asset]:
    """A keyset page, newest first."""
    table = Asset.__table__.c  # type: ignore[attr-defined]
    query = select(Asset).where(table.organization_id == organization_id)
    if program_id is not None:
        query = query.where(
            select(ProgramAsset.asset_id)
            .where(col(ProgramAsset.program_id) == program_id, _linked)
            .exists()
        )
    if status is not None:
        query = query.where(table.status == status)
    if search:
        query = query.where(or_(contains(table.symbol, search), contains(table.name, search)))
    columns = [table.created_at, table.id]
    return list(
        await session.scalars(
            keyset_page(query, columns, descending=True, after=after, limit=limit)
        )
    )
