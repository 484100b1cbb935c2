"""Faults (issue 5): the database goes away or refuses writes → 503, nothing half-written, and
the service recovers by itself when the database is back."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url
from starlette.applications import Starlette

from app.core.config import Settings
from app.main import create_app
from app.migrations import upgrade_to_head
from app.services.auth import issue_key
from tests.helpers import create_postgres_database, drop_postgres_database
from tests.proxy import TcpProxy


@asynccontextmanager
async def _serving(settings: Settings) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield application, client


async def test_postgres_cut_off_and_back(tmp_path: Path) -> None:
    url = await create_postgres_database()
    await asyncio.to_thread(upgrade_to_head, url)
    target = make_url(url)
    proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
    await proxy.start()
    through_proxy = target.set(host="127.0.0.1", port=proxy.port).render_as_string(False)
    settings = Settings(
        database_url=through_proxy,
        db_pool_timeout_s=2,
        db_command_timeout_s=2,
        auth_cache_seconds=0,  # every request reaches the database, even for its key
    )
    try:
        async with _serving(settings) as (application, client):
            key = (await issue_key(application.state.db, organization_name="faults")).key
            headers = {"X-API-Key": key}

            async def create(external_id: str) -> httpx.Response:
                body = {"external_id": external_id}
                return await client.post("/v1/participants", json=body, headers=headers)

            assert (await create("a")).status_code == 201

            await proxy.cut()
            rest = await create("b")
            gql = await client.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
            health = await client.get("/healthz")
            for response in (rest, gql, health):
                assert response.status_code == 503, response.text
                assert response.json()["code"] == "service_unavailable"
                assert response.headers["Retry-After"] == "1"
                assert "SELECT" not in response.text
                assert "127.0.0.1" not in response.text

            await proxy.start()  # the database is back: no restart needed
            after = await client.get("/v1/participants", headers=headers)
            assert after.status_code == 200
            assert [p["external_id"] for p in after.json()["data"]] == ["a"]  # "b" never landed
            again = await client.post(
                "/v1/participants", json={"external_id": "b"}, headers=headers
            )
            assert again.status_code == 201
    finally:
        await proxy.cut()
        await drop_postgres_database(url)


async def test_a_sqlite_file_that_cannot_be_written(tmp_path: Path) -> None:
    path = tmp_path / "ro.db"
    url = f"sqlite+aiosqlite:///{path}"
    await asyncio.to_thread(upgrade_to_head, url)
    async with _serving(Settings(database_url=url)) as (application, client):
        key = (await issue_key(application.state.db, organization_name="ro")).key
        created = await client.post(
            "/v1/participants", json={"external_id": "kept"}, headers={"X-API-Key": key}
        )
        assert created.status_code == 201
    with sqlite3.connect(path) as conn:  # unused for long: the next use wants to record itself
        conn.execute("UPDATE api_keys SET last_used_at = NULL")
    # The same file, opened so that SQLite refuses every write (root ignores file modes).
    read_only = f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true"
    async with _serving(Settings(database_url=read_only)) as (_, client):
        headers = {"X-API-Key": key}
        listed = await client.get("/v1/participants", headers=headers)
        assert listed.status_code == 200  # recording the key's use failed; the read did not
        refused = await client.post(
            "/v1/participants", json={"external_id": "new", "tags": ["x"]}, headers=headers
        )
        assert refused.status_code == 503
        assert refused.json()["code"] == "service_unavailable"
        gql = await client.post(
            "/graphql",
            json={"query": 'mutation { createParticipant(input: {externalId: "g"}) { created } }'},
            headers=headers,
        )
        assert gql.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT external_id FROM participants").fetchall()
    assert rows == [("kept",)]
