"""Who is calling: API keys and the organizations they belong to."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from app import crud
from app.core.db import UNAVAILABLE, Database, is_unavailable
from app.core.security import KEY_PREFIX, generate_api_key, hash_api_key
from app.models import ApiKey, utcnow
from app.services.errors import NotFound
from app.services.key_cache import CachedKey, KeyCache

__all__ = [
    "LAST_USED_RESOLUTION",
    "AmbiguousKey",
    "IssuedKey",
    "KeyInfo",
    "Principal",
    "authenticate",
    "issue_key",
    "list_keys",
    "revoke_key",
]

logger = logging.getLogger("app.auth")

#: `last_used_at` is written at most this often per key, so using a key costs no write per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


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


async def authenticate(
    db: Database, key: str, *, cache: KeyCache | None = None
) -> Principal | None:
    """The caller behind `key`, or None for a malformed, unknown or revoked key.

    With a `cache`, a key seen in the last `cache.ttl` seconds costs no query.
    """
    if not key.startswith(KEY_PREFIX) or len(key) < len(KEY_PREFIX) + 32 or len(key) > 256:
        return None
    key_hash = hash_api_key(key)
    known = cache.get(key_hash) if cache is not None else None
    if known is None:
        async with db.lookup() as session:
            row = await crud.find_api_key(session, key_hash=key_hash)
        if row is None:
            return None
        known = CachedKey(row.organization_id, row.id, row.last_used_at, expires=0.0)
        if cache is not None:  # from now until `ttl` from now, never longer
            known = cache.put(key_hash, known)
    now = utcnow()
    if known.last_used_at is None or now - known.last_used_at >= LAST_USED_RESOLUTION:
        known.last_used_at = now  # first: concurrent requests with this key do not write too
        await _touch(db, known.api_key_id, now)
    return Principal(organization_id=known.organization_id, api_key_id=known.api_key_id)


async def _touch(db: Database, api_key_id: uuid.UUID, now: datetime) -> None:
    """Record a use of the key; best effort: a database that takes no writes fails no request."""
    try:
        async with db.transaction() as session:
            since = now - LAST_USED_RESOLUTION
            await crud.touch_api_key(session, api_key_id=api_key_id, now=now, unless_since=since)
    except UNAVAILABLE as exc:
        if not is_unavailable(exc):
            raise
        logger.warning("could not record the use of API key %s: %s", api_key_id, type(exc).__name__)


async def issue_key(db: Database, *, organization_name: str) -> IssuedKey:
    """Create the organization if needed, then a new key for it."""
    key = generate_api_key()
    now = utcnow()
    async with db.transaction() as session:
        org = await crud.get_or_create_organization(session, name=organization_name, now=now)
        row = await crud.create_api_key(session, organization_id=org.id, key=key, now=now)
    return IssuedKey(organization_id=org.id, api_key_id=row.id, key=key)


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """What may be shown about a key after its creation: never the key itself."""

    id: uuid.UUID
    organization: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: ApiKey, organization: str) -> KeyInfo:
        return cls(
            id=row.id,
            organization=organization,
            prefix=row.prefix,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
        )


async def list_keys(db: Database, *, organization_name: str | None = None) -> list[KeyInfo]:
    async with db.read() as session:
        rows = await crud.list_api_keys(session, organization_name=organization_name)
    return [KeyInfo.of(row, name) for row, name in rows]


class AmbiguousKey(Exception):
    """A prefix that matches more than one key."""


async def revoke_key(
    db: Database, *, key_id_or_prefix: str, cache: KeyCache | None = None
) -> KeyInfo:
    """Revoke the key with this id or display prefix (idempotent); its requests fail from now on.

    Raises NotFound when nothing matches and AmbiguousKey when a prefix matches several keys.
    """
    async with db.transaction() as session:
        matches = [
            (row, name)
            for row, name in await crud.list_api_keys(session)
            if str(row.id) == key_id_or_prefix or row.prefix == key_id_or_prefix
        ]
        if not matches:
            raise NotFound(f"no API key with id or prefix {key_id_or_prefix!r}")
        if len(matches) > 1:
            raise AmbiguousKey(
                f"{len(matches)} keys have the prefix {key_id_or_prefix!r}; use the id"
            )
        row, name = matches[0]
        await crud.revoke_api_key(session, api_key_id=row.id, now=utcnow())
        await session.refresh(row)
    if cache is not None:
        cache.forget(row.id)
    return KeyInfo.of(row, name)
