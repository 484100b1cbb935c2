"""Tier definitions of programs, with their levels."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.crud.dialect import insert_for
from app.crud.keyset import keyset_page
from app.crud.state import group_pairs
from app.models import ParticipantTier, Tier, TierLevel, TierStatus

__all__ = [
    "get_tier",
    "held_levels",
    "insert_tier",
    "levels_by_tier",
    "list_tiers",
    "replace_levels",
    "tiers_by_program",
]


async def insert_tier(session: AsyncSession, *, tier: Tier) -> bool:
    """Insert `tier` in one statement; False (nothing written) when its key is taken."""
    stmt = (
        insert_for(session)(Tier)
        .values(tier.model_dump())
        .on_conflict_do_nothing(index_elements=["organization_id", "program_id", "key"])
        .returning(col(Tier.id))
    )
    return (await session.scalar(stmt)) is not None


async def get_tier(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    program_id: uuid.UUID,
    key: str,
    for_update: bool = False,
    for_share: bool = False,
) -> Tier | None:
    query = select(Tier).where(
        col(Tier.organization_id) == organization_id,
        col(Tier.program_id) == program_id,
        col(Tier.key) == key,
    )
    if for_update:
        query = query.with_for_update()
    elif for_share:  # PostgreSQL FOR KEY SHARE (as foreign key checks take): a FOR UPDATE waits
        query = query.with_for_update(read=True, key_share=True)
    return await session.scalar(query)


async def levels_by_tier(
    session: AsyncSession, *, organization_id: uuid.UUID, tier_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[TierLevel]]:
    """Each tier's levels, lowest rank first."""
    if not tier_ids:
        return {}
    rows = await session.scalars(
        select(TierLevel)
        .where(
            col(TierLevel.organization_id) == organization_id,
            col(TierLevel.tier_id).in_(tier_ids),
        )
        .order_by(col(TierLevel.tier_id), col(TierLevel.rank))
    )
    return group_pairs((row.tier_id, row) for row in rows)


async def replace_levels(session: AsyncSession, *, tier: Tier, levels: Sequence[TierLevel]) -> None:
    """Make `levels` the tier's levels. Delete-then-insert, so ranks may swap places without
    tripping the (tier, rank) uniqueness half way."""
    await session.execute(
        delete(TierLevel).where(
            col(TierLevel.organization_id) == tier.organization_id,
            col(TierLevel.tier_id) == tier.id,
        )
    )
    if levels:
        await session.execute(insert(TierLevel), [level.model_dump() for level in levels])


async def held_levels(session: AsyncSession, *, tier: Tier, level_keys: Sequence[str]) -> list[str]:
    """Which of `level_keys` some participant holds in this tier."""
    if not level_keys:
        return []
    rows = await session.scalars(
        select(col(ParticipantTier.level))
        .where(
            col(ParticipantTier.organization_id) == tier.organization_id,
            col(ParticipantTier.program_id) == tier.program_id,
            col(ParticipantTier.tier_key) == tier.key,
            col(ParticipantTier.level).in_(level_keys),
        )
        .distinct()
    )
    return sorted(rows)


async def list_tiers(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    program_id: uuid.UUID,
    status: TierStatus | None,
    after: Sequence[Any] | None,
    limit: int,
) -> list[Tier]:
    """A keyset page of the program's tiers, by key."""
    table = Tier.__table__.c  # type: ignore[attr-defined]
    query = select(Tier).where(
        table.organization_id == organization_id, table.program_id == program_id
    )
    if status is not None:
        query = query.where(table.status == status)
    page = keyset_page(query, [table.key], descending=False, after=after, limit=limit)
    return list(await session.scalars(page))


async def tiers_by_program(
    session: AsyncSession, *, organization_id: uuid.UUID, program_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Tier]]:
    """Each program's tiers (ARCHIVED ones too), by key."""
    rows = await session.scalars(
        select(Tier)
        .where(col(Tier.organization_id) == organization_id, col(Tier.program_id).in_(program_ids))
        .order_by(col(Tier.program_id), col(Tier.key))
    )
    return group_pairs((row.program_id, row) for row in rows)
