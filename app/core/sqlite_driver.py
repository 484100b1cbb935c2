"""aiosqlite, with one trip to the connection's thread per statement.

aiosqlite runs each call of a sqlite3 connection on that connection's own thread, and
SQLAlchemy's adapter makes four such calls per statement: open a cursor, execute, fetch all
rows, close the cursor. Each call is a queue put, a thread switch and an event-loop wake-up,
and a GraphQL page runs several statements. This adapter does the four in one call, in the
thread, and hands back the description, the rows and the counts together. Everything else
(connecting, transactions, closing, errors) is SQLAlchemy's own aiosqlite adapter.

Install it with `create_async_engine(url, module=one_hop_dbapi())` for `sqlite+aiosqlite` URLs.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from typing import Any

import aiosqlite
from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_connection
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

__all__ = ["one_hop_dbapi"]

#: What one statement leaves behind: description, rows, rowcount, lastrowid.
_Outcome = tuple[Any, deque[Any], int, int | None]


def _execute(connection: sqlite3.Connection, operation: str, parameters: Any) -> _Outcome:
    """Run in the connection's thread: the whole life of one cursor."""
    cursor = connection.cursor()
    try:
        cursor.execute(operation, () if parameters is None else parameters)
        description = cursor.description
        rows = deque(cursor.fetchall()) if description else deque()
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def _execute_many(
    connection: sqlite3.Connection, operation: str, seq_of_parameters: Any
) -> _Outcome:
    cursor = connection.cursor()
    try:
        cursor.executemany(operation, seq_of_parameters)
        return cursor.description, deque(), cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class _OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A cursor that holds a statement's outcome; it has no aiosqlite cursor behind it."""

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")

    # There is no driver cursor to close: `close()` only drops the rows.
    _awaitable_cursor_close = False

    def __init__(self, adapt_connection: AsyncAdapt_dbapi_connection) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    def execute(self, operation: Any, parameters: Any = None) -> None:
        self._run(_execute, operation, parameters)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> None:
        self._run(_execute_many, operation, seq_of_parameters)

    def _run(self, step: Any, operation: Any, parameters: Any) -> None:
        driver: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        try:
            # aiosqlite's own way to run a function in the connection's thread (untyped).
            running = driver._execute(step, driver._conn, operation, parameters)  # type: ignore[no-untyped-call]
            outcome: _Outcome = await_(running)
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        self._description, self._rows, self._rowcount, self._lastrowid = outcome


class _OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = _OneHopCursor


class _OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        adapted = super().connect(*arg, **kw)
        return _OneHopConnection(self, adapted._connection)


def one_hop_dbapi() -> AsyncAdapt_aiosqlite_dbapi:
    """The DBAPI module to hand `create_async_engine(module=...)` for aiosqlite."""
    return _OneHopDBAPI(aiosqlite, sqlite3)
