"""Alembic: a fresh database migrated to head matches the models exactly."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from app.core.config import Settings
from app.core.db import create_engine
from app.migrations import upgrade_to_head
from tests.helpers import discard_database, fresh_database_url


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "render_as_batch": True}
    )
    return list(compare_metadata(context, SQLModel.metadata))


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
async def test_head_matches_models(kind: str, tmp_path: Path) -> None:
    url = await fresh_database_url(kind, tmp_path)
    try:
        await asyncio.to_thread(upgrade_to_head, url)
        await asyncio.to_thread(upgrade_to_head, url)  # idempotent: nothing pending the second time
        engine = create_engine(Settings(database_url=url))
        try:
            async with engine.connect() as connection:
                diff = await connection.run_sync(_diff)
        finally:
            await engine.dispose()
        assert diff == []
    finally:
        await discard_database(url)
