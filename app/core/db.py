"""Engine and sessions: one `Database` per process, shared by every request.

SQLite is tuned on every new connection (WAL, busy timeout, `synchronous=NORMAL`, foreign keys)
and its write transactions start with `BEGIN IMMEDIATE`: a deferred transaction that later needs
the write lock fails at once with "database is locked", whatever the busy timeout, while an
immediate one waits its turn.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Uuid, event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from app.core.config import Settings
from app.core.sqlite_driver import one_hop_dbapi
from app.core.sqltypes import InternedUuid

__all__ = [
    "UNAVAILABLE",
    "WRITE_OPTIONS",
    "Database",
    "DatabaseBusy",
    "create_engine",
    "is_unavailable",
]


#: What the database raises when it is down, unreachable, or busy past its timeouts (including
#: asyncpg's command timeout): the caller should retry, and nothing about it is the caller's fault.
class DatabaseBusy(Exception):
    """This process's writers queued past the busy timeout (SQLite): answered like a locked DB."""


UNAVAILABLE: tuple[type[Exception], ...] = (
    DatabaseBusy,
    OperationalError,
    InterfaceError,
    PoolTimeout,
    ConnectionError,
    TimeoutError,
)

#: SQLite raises OperationalError for outages and for bugs alike ("no such column"); only these
#: mean the database is (for now) unavailable.
_SQLITE_OUTAGES = (
    "database is locked",
    "database table is locked",
    "unable to open database file",
    "disk i/o error",
    "attempt to write a readonly database",
    "database or disk is full",
)


def is_unavailable(exc: BaseException) -> bool:
    """True when `exc` says the database is down, unreachable or busy: the caller may retry."""
    if not isinstance(exc, UNAVAILABLE):
        return False
    original = getattr(exc, "orig", None)
    if isinstance(exc, OperationalError) and original is not None and _is_sqlite_error(original):
        message = str(original).lower()
        return any(outage in message for outage in _SQLITE_OUTAGES)
    return True


def _is_sqlite_error(error: BaseException) -> bool:
    return type(error).__module__.startswith(("sqlite3", "sqlalchemy.dialects.sqlite"))


_BEGIN_MODE = "sqlite_begin_mode"
#: Execution options for a connection that will write: on SQLite its transactions take the write
#: lock when they begin (and wait for it up to the busy timeout) instead of failing later.
WRITE_OPTIONS = {_BEGIN_MODE: "IMMEDIATE"}
_NO_TRANSACTION_SQLITE = {_BEGIN_MODE: None}


def create_engine(settings: Settings) -> AsyncEngine:
    """An engine for `settings.database_url`, with the SQLite tuning described above."""
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite":
        return create_async_engine(
            url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout=settings.db_pool_timeout_s,
            pool_recycle=settings.db_pool_recycle_s,
            pool_pre_ping=True,
            hide_parameters=True,  # values (keys' hashes, personal data) never go into messages
            connect_args=_asyncpg_arguments(settings),
        )
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(
        url,
        module=one_hop_dbapi() if url.get_driver_name() == "aiosqlite" else None,
        pool_size=settings.db_pool_size,
        max_overflow=8,
        # The most recently used connection first: its page cache and its thread are warm.
        pool_use_lifo=True,
        hide_parameters=True,
    )
    # SQLite keeps UUIDs as text: read each distinct one once (see `InternedUuid`).
    engine.dialect.colspecs = {**engine.dialect.colspecs, Uuid: InternedUuid}
    busy_timeout = settings.sqlite_busy_timeout_ms
    cache_kib = settings.sqlite_cache_mb * 1024

    @event.listens_for(engine.sync_engine, "connect")
    def _tune(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Hand transaction control to SQLAlchemy (the "begin" hook below) instead of the driver.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            # The busy timeout first: switching to WAL takes a lock that a process starting at
            # the same moment may hold, and only a busy timeout makes this one wait for it.
            f"busy_timeout={busy_timeout}",
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "foreign_keys=ON",
            f"cache_size=-{cache_kib}",  # negative: KiB, not pages
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(_BEGIN_MODE, "DEFERRED")
        if mode is not None:  # None: autocommit, for one-statement reads (`Database.lookup`)
            connection.exec_driver_sql(f"BEGIN {mode}")

    _skip_idle_rollbacks(engine)
    return engine


def _skip_idle_rollbacks(engine: AsyncEngine) -> None:
    """Make ROLLBACK free when no transaction is open (after COMMIT, after a one-statement read).

    SQLAlchemy rolls back when a session ends and again when the pool takes the connection back;
    with aiosqlite each is a round trip to the connection's thread, even when SQLite has nothing
    to roll back. The aiosqlite connection knows whether a transaction is open.
    """
    dialect = engine.sync_engine.dialect
    do_rollback = dialect.do_rollback

    def rollback_if_open(dbapi_connection: Any) -> None:
        if dbapi_connection.driver_connection.in_transaction:
            do_rollback(dbapi_connection)

    dialect.do_rollback = rollback_if_open  # type: ignore[method-assign]


def _asyncpg_arguments(settings: Settings) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "prepared_statement_cache_size": settings.db_statement_cache_size,
        "command_timeout": settings.db_command_timeout_s,
    }
    if settings.db_statement_cache_size == 0:
        # Behind PgBouncer (transaction pooling) a statement name must never be reused, as the
        # next transaction may run on another server connection that already has it.
        arguments["statement_cache_size"] = 0
        arguments["prepared_statement_name_func"] = lambda: f"__asyncpg_{uuid.uuid4()}__"
    return arguments


class Database:
    """Owns the engine; hands out a fresh session per unit of work (never shared across tasks)."""

    def __init__(self, engine: AsyncEngine, *, busy_timeout_s: float = 5.0) -> None:
        self.engine = engine
        self.busy_timeout_s = busy_timeout_s
        self.is_sqlite = engine.dialect.name == "sqlite"
        self._reads = async_sessionmaker(engine, expire_on_commit=False)
        self._lookups = async_sessionmaker(
            engine.execution_options(**_NO_TRANSACTION_SQLITE)
            if self.is_sqlite
            else engine.execution_options(isolation_level="AUTOCOMMIT"),
            expire_on_commit=False,
        )
        self._writes = async_sessionmaker(
            engine.execution_options(**WRITE_OPTIONS), expire_on_commit=False
        )
        # SQLite has one writer at a time. Queued here, this process's writers take turns in
        # arrival order; left to SQLite, they would poll for the lock in its busy handler,
        # sleeping up to 100 ms between tries, which starves some of them for seconds.
        self._one_writer = asyncio.Lock() if self.is_sqlite else None

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        return cls(create_engine(settings), busy_timeout_s=settings.sqlite_busy_timeout_ms / 1000)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for reads; its transaction is rolled back when the block ends."""
        async with self._reads() as session:
            yield session

    @asynccontextmanager
    async def lookup(self) -> AsyncIterator[AsyncSession]:
        """A session for ONE read statement, run without a transaction around it (no BEGIN and
        ROLLBACK round trips). Use `read()` when several statements must see one snapshot."""
        async with self._lookups() as session:
            yield session

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One write transaction: committed when the block ends, rolled back if it raises.

        Not reentrant: never open one inside another (on SQLite that would wait forever).
        """
        async with self._writer(), self._writes() as session, session.begin():
            yield session

    @asynccontextmanager
    async def _writer(self) -> AsyncIterator[None]:
        if self._one_writer is None:
            yield
            return
        try:
            async with asyncio.timeout(self.busy_timeout_s):
                await self._one_writer.acquire()
        except TimeoutError:
            raise DatabaseBusy(f"no turn to write within {self.busy_timeout_s:g} s") from None
        try:
            yield
        finally:
            self._one_writer.release()

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.exec_driver_sql("SELECT 1")

    async def dispose(self) -> None:
        await self.engine.dispose()
