"""`InternedUuid`: SQLite's UUID text is read into one shared `uuid.UUID` per distinct value."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from sqlalchemy import select
from sqlmodel import col

from app.core.config import Settings
from app.core.db import Database
from app.core.sqltypes import InternedUuid
from app.migrations import upgrade_to_head
from app.models import Organization


async def test_sqlite_reads_each_uuid_text_into_one_shared_object(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/uuids.db"
    await asyncio.to_thread(upgrade_to_head, url)
    db = Database.from_settings(Settings(database_url=url))
    try:
        async with db.transaction() as session:
            session.add(Organization(name="interned"))
        found = []
        for _ in range(2):
            async with db.lookup() as session:
                found.append(await session.scalar(select(col(Organization.id))))
        assert isinstance(found[0], uuid.UUID)
        assert found[0] == found[1]
        assert found[0] is found[1]
    finally:
        await db.dispose()


def test_the_table_of_known_uuids_is_bounded() -> None:
    from sqlalchemy.dialects import sqlite

    process = InternedUuid().result_processor(sqlite.dialect(), None)
    assert process is not None
    assert process(None) is None
    values = [uuid.uuid4() for _ in range(InternedUuid.LIMIT + 10)]
    for value in values:
        assert process(value.hex) == value
    assert len(InternedUuid._known) <= InternedUuid.LIMIT


async def test_utc_datetimes_read_back_from_sqlite_text(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta, timezone

    from sqlalchemy import Column, Integer, MetaData, Table, insert, select, text

    from app.core.config import Settings
    from app.core.db import Database
    from app.core.sqltypes import UTCDateTime

    db = Database.from_settings(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 't.db'}"))
    table = Table(
        "t", MetaData(), Column("id", Integer, primary_key=True), Column("at", UTCDateTime())
    )
    moment = datetime(2026, 11, 28, 10, 20, 14, 123456, tzinfo=timezone(timedelta(hours=2)))
    try:
        async with db.transaction() as session:
            await session.run_sync(lambda s: table.create(s.connection()))
            await session.execute(insert(table).values(id=1, at=moment))
            # Rows written by hand: no fraction, and an explicit offset.
            await session.execute(text("INSERT INTO t VALUES (2, '2026-11-28 10:20:14')"))
            await session.execute(text("INSERT INTO t VALUES (3, '2026-11-28 10:20:14+02:00')"))
            await session.execute(text("INSERT INTO t VALUES (4, NULL)"))
        async with db.read() as session:
            read = (await session.execute(select(table.c.at).order_by(table.c.id))).scalars().all()
    finally:
        await db.dispose()
    assert read == [
        moment.astimezone(UTC),
        datetime(2026, 11, 28, 10, 20, 14, tzinfo=UTC),
        datetime(2026, 11, 28, 8, 20, 14, tzinfo=UTC),
        None,
    ]
    assert all(value.tzinfo is UTC for value in read if value is not None)
