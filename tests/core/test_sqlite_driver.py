"""The one-hop aiosqlite adapter behaves as a DBAPI cursor should, for what SQLAlchemy asks."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from app.core.config import Settings
from app.core.db import Database


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}"
    database = Database.from_settings(dataclasses.replace(Settings(), database_url=url))
    async with database.transaction() as session:
        await session.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)"))
    yield database
    await database.dispose()


async def test_the_engine_uses_one_thread_hop_per_statement(db: Database) -> None:
    async with db.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        assert type(raw.dbapi_connection).__name__ == "_OneHopConnection"
        driver: Any = raw.driver_connection
        await connection.exec_driver_sql("SELECT 0")  # after BEGIN: only the statement counts
        hops = 0
        run_in_thread = driver._execute

        async def counted(*args: Any, **kwargs: Any) -> Any:
            nonlocal hops
            hops += 1
            return await run_in_thread(*args, **kwargs)

        driver._execute = counted
        try:
            rows = (await connection.exec_driver_sql("SELECT 1, 'a' UNION ALL SELECT 2, 'b'")).all()
        finally:
            del driver._execute
    assert [tuple(row) for row in rows] == [(1, "a"), (2, "b")]
    assert hops == 1  # SQLAlchemy's own adapter makes four: cursor, execute, fetch, close


async def test_writes_report_rowcount_lastrowid_and_many_rows(db: Database) -> None:
    async with db.transaction() as session:
        inserted: Any = await session.execute(text("INSERT INTO t (name) VALUES ('x')"))
        assert inserted.lastrowid == 1
        await session.execute(
            text("INSERT INTO t (name) VALUES (:name)"), [{"name": "y"}, {"name": "z"}]
        )
        updated: Any = await session.execute(text("UPDATE t SET name = name || '!' WHERE id > 1"))
        assert updated.rowcount == 2
        returned = await session.execute(text("DELETE FROM t WHERE id = 3 RETURNING name"))
        assert returned.scalar_one() == "z!"
    async with db.read() as session:
        names = (await session.execute(text("SELECT name FROM t ORDER BY id"))).scalars().all()
    assert names == ["x", "y!"]


async def test_driver_errors_become_sqlalchemy_errors_and_roll_back(db: Database) -> None:
    async with db.transaction() as session:
        await session.execute(text("INSERT INTO t (name) VALUES ('dup')"))
        with pytest.raises(IntegrityError):
            await session.execute(text("INSERT INTO t (name) VALUES ('dup')"))
        await session.rollback()
    async with db.read() as session:
        with pytest.raises(OperationalError):
            await session.execute(text("SELECT nope FROM t"))
    async with db.read() as session:
        assert (await session.execute(text("SELECT count(*) FROM t"))).scalar_one() == 0


async def test_statements_run_off_the_event_loop_thread(db: Database) -> None:
    loop_thread = threading.get_ident()
    async with db.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection
        ran_on: list[int] = []

        def where_am_i() -> int:
            ran_on.append(threading.get_ident())
            return 1

        driver._conn.create_function("where_am_i", 0, where_am_i)
        await connection.exec_driver_sql("SELECT where_am_i()")
    assert ran_on
    assert ran_on[0] != loop_thread
