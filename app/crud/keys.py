"""Organizations and API keys."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    bindparam,
    or_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.core.security import hash_api_key, key_display_prefix
from app.crud.dialect import insert_for
from app.models import (
    ApiKey,
    Organization,
)

__all__ = [
    "create_api_key",
    "find_api_key",
    "get_or_create_organization",
    "has_organizations",
    "list_api_keys",
    "revoke_api_key",
    "touch_api_key",
]


async def get_or_create_organization(
    session: AsyncSession, *, name: str, now: datetime
) -> Organization:
    insert = insert_for(session)
    await session.execute(
        insert(Organization)
        .values(id=uuid.uuid4(), name=name, created_at=now)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    org = await session.scalar(select(Organization).where(col(Organization.name) == name))
    if org is None:  # pragma: no cover - the insert above guarantees it
        raise LookupError(name)
    return org


async def has_organizations(session: AsyncSession) -> bool:
    return (await session.scalar(select(col(Organization.id)).limit(1))) is not None


async def create_api_key(
    session: AsyncSession, *, organization_id: uuid.UUID, key: str, now: datetime
) -> ApiKey:
    row = ApiKey(
        organization_id=organization_id,
        key_hash=hash_api_key(key),
        prefix=key_display_prefix(key),
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row


_LIVE_KEY = select(ApiKey).where(
    col(ApiKey.key_hash) == bindparam("key_hash"), col(ApiKey.revoked_at).is_(None)
)


async def find_api_key(session: AsyncSession, *, key_hash: str) -> ApiKey | None:
    """The live (not revoked) key with this hash."""
    return await session.scalar(_LIVE_KEY, {"key_hash": key_hash})


async def touch_api_key(
    session: AsyncSession, *, api_key_id: uuid.UUID, now: datetime, unless_since: datetime
) -> None:
    """Record a use of the key, unless one at or after `unless_since` is recorded already."""
    await session.execute(
        update(ApiKey)
        .where(
            col(ApiKey.id) == api_key_id,
            or_(col(ApiKey.last_used_at).is_(None), col(ApiKey.last_used_at) < unless_since),
        )
        .values(last_used_at=now)
    )


async def list_api_keys(
    session: AsyncSession, *, organization_name: str | None = None
) -> list[tuple[ApiKey, str]]:
    """Every key (revoked ones too) with its organization's name, oldest first."""
    query = select(ApiKey, Organization.name).join(
        Organization, col(Organization.id) == col(ApiKey.organization_id)
    )
    if organization_name is not None:
        query = query.where(col(Organization.name) == organization_name)
    rows = await session.execute(query.order_by(col(ApiKey.created_at), col(ApiKey.id)))
    return [(key, name) for key, name in rows]


async def revoke_api_key(session: AsyncSession, *, api_key_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        update(ApiKey)
        .where(col(ApiKey.id) == api_key_id, col(ApiKey.revoked_at).is_(None))
        .values(revoked_at=now)
    )
