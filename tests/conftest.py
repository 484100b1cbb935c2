"""Fixtures: every test runs once on SQLite and once on PostgreSQL (when reachable; CI requires it).

Each database is created fresh for the session and migrated with Alembic. Tests isolate themselves
by tenancy: each makes its own organization, so no test sees another's rows.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from starlette.applications import Starlette

from app import crud
from app.core.config import Settings
from app.core.db import Database
from app.main import create_app
from app.migrations import upgrade_to_head
from app.models import utcnow
from app.services.auth import IssuedKey, issue_key
from tests.helpers import discard_database, fresh_database_url


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
async def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    url = await fresh_database_url(request.param, tmp_path_factory.mktemp("db"))
    await asyncio.to_thread(upgrade_to_head, url)
    yield url
    await discard_database(url)


@pytest.fixture(scope="session")
async def app(database_url: str) -> AsyncIterator[Starlette]:
    # No key cache here: statement counts then always include the one key lookup, whatever ran
    # before. The cache has tests of its own (tests/test_auth.py).
    application = create_app(Settings(database_url=database_url, auth_cache_seconds=0))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="session")
def db(app: Starlette) -> Database:
    database: Database = app.state.db
    return database


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def org(db: Database) -> IssuedKey:
    """A brand-new organization with one API key: this test's private tenant.

    The key counts as just used, so the once-a-minute `last_used_at` write stays out of the
    statement counts (tests of that write use a key of their own).
    """
    issued = await issue_key(db, organization_name=f"org-{uuid.uuid4().hex}")
    async with db.transaction() as session:
        await crud.touch_api_key(
            session, api_key_id=issued.api_key_id, now=utcnow(), unless_since=utcnow()
        )
    return issued


@pytest.fixture
def headers(org: IssuedKey) -> dict[str, str]:
    return {"X-API-Key": org.key}


@dataclass
class StatementLog:
    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def sql(db: Database) -> Any:
    """`with sql() as log:` records each SQL statement the app sends (transaction control aside)."""

    @contextmanager
    def capture() -> Iterator[StatementLog]:
        log = StatementLog()

        def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            if statement.split(None, 1)[0].upper() not in {"BEGIN", "COMMIT", "ROLLBACK"}:
                log.statements.append(statement)

        event.listen(db.engine.sync_engine, "before_cursor_execute", record)
        try:
            yield log
        finally:
            event.remove(db.engine.sync_engine, "before_cursor_execute", record)

    return capture


@dataclass
class Clock:
    """The app's clock, frozen and moved by hand (`clock.advance(hours=721)`)."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(app: Starlette) -> Iterator[Clock]:
    """Freeze the app's clock for one test (writes and counter auto-reset read it)."""
    frozen = Clock(utcnow())
    real = app.state.clock
    app.state.clock = frozen
    try:
        yield frozen
    finally:
        app.state.clock = real
