"""PostgreSQL engine options: statement caching off (PgBouncer) and the command timeout."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import text

from app.core.config import Settings
from app.core.db import Database, create_engine
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
