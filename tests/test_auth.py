"""Keys and tenancy (CONTRACT §2), on both faces."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import event, update
from sqlmodel import col
from starlette.applications import Starlette

from app.core.config import Settings
from app.core.db import Database
from app.main import create_app
from app.models import ApiKey, Organization
from app.services import auth
from app.services.auth import LAST_USED_RESOLUTION, IssuedKey
from app.services.errors import NotFound
from app.services.key_cache import CachedKey, KeyCache
from tests.helpers import graphql

QUERY = '{"query": "{ participant(externalId: \\"x\\") { id } }"}'


async def _revoke(db: Database, key_id: uuid.UUID, cache: KeyCache | None = None) -> None:
    await auth.revoke_key(db, key_id_or_prefix=str(key_id), cache=cache)


async def _last_used(db: Database, key_id: uuid.UUID) -> datetime | None:
    async with db.read() as session:
        row = await session.get(ApiKey, key_id)
    assert row is not None
    return row.last_used_at


@pytest.mark.parametrize(
    "auth",
    [
        {},
        {"X-API-Key": ""},
        {"X-API-Key": "sk_" + "a" * 43},
        {"X-API-Key": "not-even-a-key"},
        {"Authorization": "Bearer sk_" + "b" * 43},
        {"Authorization": "Basic dXNlcjpwYXNz"},
    ],
)
async def test_missing_or_unknown_key(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    rest = await client.post("/v1/participants", json={"external_id": "x"}, headers=auth)
    gql = await client.post(
        "/graphql", content=QUERY, headers={**auth, "Content-Type": "application/json"}
    )
    for response in (rest, gql):
        assert response.status_code == 401
        assert response.json()["code"] == "unauthorized"
        assert response.json()["message"]


async def test_both_header_forms_work(client: httpx.AsyncClient, org: IssuedKey) -> None:
    for given in ({"X-API-Key": org.key}, {"Authorization": f"Bearer {org.key}"}):
        response = await client.post("/v1/participants", json={"external_id": "h"}, headers=given)
        assert response.status_code in (200, 201)
        body = await graphql(
            client, '{ participant(externalId: "h") { externalId } }', headers=given
        )
        assert body["data"]["participant"]["externalId"] == "h"


async def test_revoked_key(
    client: httpx.AsyncClient, org: IssuedKey, db: Database, app: Starlette
) -> None:
    headers = {"X-API-Key": org.key}
    assert (
        await client.post("/v1/participants", json={"external_id": "r"}, headers=headers)
    ).status_code == 201
    await _revoke(db, org.api_key_id, app.state.key_cache)  # revoked through this process
    rest = await client.post("/v1/participants", json={"external_id": "r"}, headers=headers)
    gql = await client.post(
        "/graphql", content=QUERY, headers={**headers, "Content-Type": "application/json"}
    )
    assert rest.status_code == gql.status_code == 401
    assert rest.json()["message"] == "invalid or revoked API key"


async def test_unauthorized_body_is_not_read(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/participants", content=b"not json", headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 401


async def test_only_the_hash_is_stored(org: IssuedKey, db: Database) -> None:
    async with db.read() as session:
        row = await session.get(ApiKey, org.api_key_id)
    assert row is not None
    assert row.key_hash == hashlib.sha256(org.key.encode()).hexdigest()
    assert org.key not in (row.key_hash, row.prefix)
    assert org.key.startswith("sk_")
    assert len(org.key) >= 3 + 32


async def test_healthz_needs_no_key(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_openapi_needs_no_key(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    assert "/v1/participants" in response.json()["paths"]


async def test_last_used_is_written_at_most_once_a_minute(
    client: httpx.AsyncClient, db: Database, sql: Any, app: Starlette
) -> None:
    org = await auth.issue_key(db, organization_name=f"org-{uuid.uuid4().hex}")
    assert await _last_used(db, org.api_key_id) is None
    headers = {"X-API-Key": org.key}
    with sql() as first:
        await client.get("/v1/participants", headers=headers)
    used = await _last_used(db, org.api_key_id)
    assert used is not None
    with sql() as second:
        await client.get("/v1/participants", headers=headers)
    assert await _last_used(db, org.api_key_id) == used
    assert [s for s in first.statements if s.startswith("UPDATE api_keys")]
    assert not [s for s in second.statements if s.startswith("UPDATE api_keys")]
    # a minute later it is written again
    async with db.transaction() as session:
        await session.execute(
            update(ApiKey)
            .where(col(ApiKey.id) == org.api_key_id)
            .values(last_used_at=used - LAST_USED_RESOLUTION)
        )
    app.state.key_cache.forget(org.api_key_id)  # as if its cache entry had expired
    await client.get("/v1/participants", headers=headers)
    again = await _last_used(db, org.api_key_id)
    assert again is not None
    assert again > used


async def test_list_and_revoke_keys(db: Database, org: IssuedKey) -> None:
    second = await auth.issue_key(db, organization_name=(await _org_name(db, org)))
    keys = await auth.list_keys(db, organization_name=await _org_name(db, org))
    assert [k.id for k in keys] == [org.api_key_id, second.api_key_id]
    assert all(k.revoked_at is None for k in keys)
    assert all(k.prefix == key[:12] for k, key in zip(keys, [org.key, second.key], strict=True))
    revoked = await auth.revoke_key(db, key_id_or_prefix=keys[1].prefix)
    assert revoked.id == second.api_key_id
    assert revoked.revoked_at is not None
    again = await auth.revoke_key(db, key_id_or_prefix=str(second.api_key_id))
    assert again.revoked_at == revoked.revoked_at  # idempotent: the first revocation stands
    assert await auth.authenticate(db, second.key) is None
    assert await auth.authenticate(db, org.key) is not None
    with pytest.raises(NotFound):
        await auth.revoke_key(db, key_id_or_prefix="sk_nothing")


async def _org_name(db: Database, org: IssuedKey) -> str:
    async with db.read() as session:
        row = await session.get(Organization, org.organization_id)
    assert row is not None
    return row.name


async def test_a_cached_key_costs_no_query(database_url: str) -> None:
    application = create_app(Settings(database_url=database_url, auth_cache_seconds=60))
    async with application.router.lifespan_context(application):
        db = application.state.db
        issued = await auth.issue_key(db, organization_name=f"org-{uuid.uuid4().hex}")
        statements: list[str] = []

        def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            statements.append(statement)

        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            headers = {"X-API-Key": issued.key}
            await client.get("/v1/participants", headers=headers)
            event.listen(db.engine.sync_engine, "before_cursor_execute", record)
            try:
                again = await client.get("/v1/participants", headers=headers)
            finally:
                event.remove(db.engine.sync_engine, "before_cursor_execute", record)
    assert again.status_code == 200
    assert not [s for s in statements if "api_keys" in s], statements


async def test_a_key_revoked_elsewhere_stops_working_within_the_cache_time(
    database_url: str,
) -> None:
    settings = Settings(database_url=database_url, auth_cache_seconds=0.3)
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        db = application.state.db
        issued = await auth.issue_key(db, organization_name=f"org-{uuid.uuid4().hex}")
        headers = {"X-API-Key": issued.key}
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert (await client.get("/v1/participants", headers=headers)).status_code == 200
            await auth.revoke_key(db, key_id_or_prefix=str(issued.api_key_id))  # no cache: "CLI"
            await asyncio.sleep(0.35)
            assert (await client.get("/v1/participants", headers=headers)).status_code == 401


async def test_authentication_is_cached_without_outliving_its_ttl() -> None:
    cache = KeyCache(ttl=60, max_entries=2)
    entry = CachedKey(uuid.uuid4(), uuid.uuid4(), None, expires=0.0)
    cache.put("a", entry)
    expires = entry.expires
    assert cache.get("a") is entry
    assert entry.expires == expires  # use does not renew it
    for name in ("b", "c"):
        cache.put(name, CachedKey(uuid.uuid4(), uuid.uuid4(), None, expires=0.0))
    assert cache.get("a") is None  # bounded: the least recently used went
    assert KeyCache(ttl=0).put("x", entry) is entry
    expired = KeyCache(ttl=0.01)
    expired.put("x", CachedKey(uuid.uuid4(), uuid.uuid4(), None, expires=0.0))
    await asyncio.sleep(0.02)
    assert expired.get("x") is None
