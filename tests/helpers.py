"""Helpers shared by the tests: throwaway databases, a GraphQL client call, query plans."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import event, func
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel, col, select

from app.core.db import Database

POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"


def _asyncpg_dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


async def create_postgres_database() -> str:
    """A new, empty database next to `POSTGRES_URL`; its SQLAlchemy URL."""
    name = f"test_{uuid.uuid4().hex[:16]}"
    try:
        conn = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL), timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required but unreachable at {POSTGRES_URL}: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {POSTGRES_URL}: {exc}")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


async def drop_postgres_database(url: str) -> None:
    conn = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL), timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    finally:
        await conn.close()


async def fresh_database_url(kind: str, directory: Path) -> str:
    """An empty database of `kind` ("sqlite" or "postgresql")."""
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{directory / f'{uuid.uuid4().hex[:8]}.db'}"
    return await create_postgres_database()


async def discard_database(url: str) -> None:
    if url.startswith("postgresql"):
        await drop_postgres_database(url)


async def graphql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    headers: dict[str, str],
) -> dict[str, Any]:
    """POST a GraphQL operation; assert HTTP 200 and return the JSON body."""
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def count_rows(db: Database, model: type[SQLModel], organization_id: uuid.UUID) -> int:
    """How many rows of `model` one organization has."""
    query = (
        select(func.count()).select_from(model).where(col(model.organization_id) == organization_id)  # type: ignore[attr-defined]
    )
    async with db.read() as session:
        total = (await session.execute(query)).scalar_one()
    return int(total)


@contextmanager
def captured_statements(db: Database, containing: str) -> Iterator[list[tuple[str, Any]]]:
    """The statements (and their parameters) sent while the block runs, as the driver sees
    them, that contain `containing`."""
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if containing in statement:
            captured.append((statement, parameters))

    event.listen(db.engine.sync_engine, "before_cursor_execute", capture)
    try:
        yield captured
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", capture)


async def explain(db: Database, statement: str, parameters: Any) -> str:
    """The plan of a captured statement. PostgreSQL would rightly prefer a sequential scan (or a
    sort of a few rows) on the tests' small tables, so both are priced out: what remains shows
    whether an index can serve the query."""
    async with db.engine.connect() as connection:
        if db.is_sqlite:
            rows = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            return "\n".join(str(row[-1]) for row in rows)
        await connection.exec_driver_sql("SET enable_seqscan = off")
        await connection.exec_driver_sql("SET enable_sort = off")
        rows = await connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
        return "\n".join(str(row[0]) for row in rows)
