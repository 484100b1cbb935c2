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
