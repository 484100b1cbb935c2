"""Alembic environment: runs migrations on the app's own engine (so SQLite gets the same tuning)."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers the tables)
from app.core.config import Settings
from app.core.db import WRITE_OPTIONS, create_engine

target_metadata = SQLModel.metadata


def _database_url() -> str:
    return context.config.attributes.get("database_url") or Settings.from_env().database_url


def _configure(**kwargs: object) -> None:
    context.configure(
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
        **kwargs,  # type: ignore[arg-type]
    )


#: Any constant: PostgreSQL advisory lock held while migrating, so app processes that start
#: together (`python -m app serve` migrates first) upgrade one at a time instead of racing.
_MIGRATION_LOCK = 0x6C6F79616C7479


def _run_with(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        context.run_migrations()


async def _run_online() -> None:
    engine = create_engine(Settings(database_url=_database_url()))
    try:
        async with engine.connect() as connection:
            # SQLite: take the write lock up front, so processes starting together migrate one
            # after the other (the later one finds the schema current) instead of failing.
            connection = await connection.execution_options(**WRITE_OPTIONS)
            await connection.run_sync(_run_with)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    _configure(url=_database_url(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_online())
