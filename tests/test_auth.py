"""Keys and tenancy (CONTRACT §2), on both faces."""

from __future__ import annotations

import hashlib
import uuid

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import col

from app.core.db import Database
from app.models import ApiKey, utcnow
from app.services.auth import IssuedKey
from tests.helpers import graphql

QUERY = '{"query": "{ participant(externalId: \\"x\\") { id } }"}'


async def _revoke(db: Database, key_id: uuid.UUID) -> None:
    async with db.transaction() as session:
        await session.execute(
            update(ApiKey).where(col(ApiKey.id) == key_id).values(revoked_at=utcnow())
        )


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
    for auth in ({"X-API-Key": org.key}, {"Authorization": f"Bearer {org.key}"}):
        response = await client.post("/v1/participants", json={"external_id": "h"}, headers=auth)
        assert response.status_code in (200, 201)
        body = await graphql(
            client, '{ participant(externalId: "h") { externalId } }', headers=auth
        )
        assert body["data"]["participant"]["externalId"] == "h"


async def test_revoked_key(client: httpx.AsyncClient, org: IssuedKey, db: Database) -> None:
    headers = {"X-API-Key": org.key}
    assert (
        await client.post("/v1/participants", json={"external_id": "r"}, headers=headers)
    ).status_code == 201
    await _revoke(db, org.api_key_id)
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
