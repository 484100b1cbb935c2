"""Who is calling: API keys and the organizations they belong to."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from app import crud
from app.core.db import Database
from app.core.security import KEY_PREFIX, generate_api_key, hash_api_key
from app.models import utcnow

__all__ = ["IssuedKey", "Principal", "authenticate", "issue_key"]


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: everything it sees is scoped to `organization_id`."""

    organization_id: uuid.UUID
    api_key_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class IssuedKey:
    organization_id: uuid.UUID
    api_key_id: uuid.UUID
    #: The only time the key is ever available in clear.
    key: str


async def authenticate(db: Database, key: str) -> Principal | None:
    """The caller behind `key`, or None for a malformed, unknown or revoked key."""
    if not key.startswith(KEY_PREFIX) or len(key) < len(KEY_PREFIX) + 32 or len(key) > 256:
        return None
    async with db.read() as session:
        row = await crud.find_api_key(session, key_hash=hash_api_key(key))
    if row is None:
        return None
    return Principal(organization_id=row.organization_id, api_key_id=row.id)


async def issue_key(db: Database, *, organization_name: str) -> IssuedKey:
    """Create the organization if needed, then a new key for it."""
    key = generate_api_key()
    now = utcnow()
    async with db.transaction() as session:
        org = await crud.get_or_create_organization(session, name=organization_name, now=now)
        row = await crud.create_api_key(session, organization_id=org.id, key=key, now=now)
    return IssuedKey(organization_id=org.id, api_key_id=row.id, key=key)
