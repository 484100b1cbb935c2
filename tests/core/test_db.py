"""PostgreSQL engine options: statement caching off (PgBouncer) and the command timeout."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

from app.core.config import Settings
from app.core.db import Database, DatabaseBusy, create_engine
from tests.helpers import create_postgres_database, discard_database


async def _database(**options: object) -> tuple[Database, str]:
    url = await create_postgres_database()
    settings = dataclasses.replace(Settings(), database_url=url, **options)  # type: ignore[arg-type]
    return Database(create_engine(settings)), url


@pytest.mark.parametrize("cache_size", [0, 100])
async def test_statements_run_with_and_without_the_statement_cache(cache_size: int) -> None:
    db, url = await _database(db_statement_cache_size=cache_size)
    try:
        async with db.read() as session:
            for value in range(3):  # the same statement again and again: cached or renamed
                result = await session.execute(text("SELECT CAST(:v AS int) + 1"), {"v": value})
                assert result.scalar_one() == value + 1
    finally:
        await db.dispose()
        await discard_database(url)


async def test_a_statement_over_the_command_timeout_is_cancelled() -> None:
    db, url = await _database(db_command_timeout_s=0.2)
    try:
        async with db.read() as session:
            with pytest.raises(TimeoutError):  # the REST face answers it with 503
                await session.execute(text("SELECT pg_sleep(5)"))
    finally:
        await db.dispose()
        await discard_database(url)


async def test_lookups_run_without_a_transaction_reads_with_one(db: Database) -> None:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement.split()[0].upper())

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        async with db.lookup() as session:
            assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
        lookup, statements[:] = list(statements), []
        async with db.read() as session:
            await session.execute(text("SELECT 1"))
        read = list(statements)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)
    assert lookup == ["SELECT"]
    assert read == (["BEGIN", "SELECT"] if db.is_sqlite else ["SELECT"])  # asyncpg begins itself


async def test_a_failed_write_is_still_rolled_back(db: Database, org: Any) -> None:
    """Rollbacks are skipped only when SQLite has no transaction open (app/core/db.py)."""
    key = {"id": org.organization_id.hex if db.is_sqlite else org.organization_id}

    async def rename_then_fail() -> None:
        async with db.transaction() as session:
            await session.execute(
                text("UPDATE organizations SET name = 'renamed' WHERE id = :id"), key
            )
            raise RuntimeError("abort")

    with pytest.raises(RuntimeError):
        await rename_then_fail()
    async with db.read() as session:
        name = await session.scalar(text("SELECT name FROM organizations WHERE id = :id"), key)
    assert name != "renamed"


async def test_sqlite_writers_wait_their_turn_no_longer_than_the_busy_timeout(
    tmp_path: Path,
) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'w.db'}")
    db = Database(create_engine(settings), busy_timeout_s=0.2)
    holding = asyncio.Event()

    async def hold() -> None:
        async with db.transaction() as session:
            await session.execute(text("CREATE TABLE IF NOT EXISTS t (x INTEGER)"))
            holding.set()
            await asyncio.sleep(1)

    try:
        holder = asyncio.create_task(hold())
        await holding.wait()
        started = time.monotonic()
        with pytest.raises(DatabaseBusy):
            async with db.transaction():
                pass
        assert time.monotonic() - started < 0.8
        await holder
        async with db.transaction() as session:  # its turn came
            await session.execute(text("INSERT INTO t VALUES (1)"))
    finally:
        await db.dispose()
