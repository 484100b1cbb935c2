"""Unexpected failures (issue 5): masked for the caller, logged with a request id, never with SQL,
parameters or keys."""

from __future__ import annotations

import logging
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError, ProgrammingError

from app.core.db import Database
from app.core.log import RedactingFormatter, redact
from tests.helpers import graphql

SECRET_KEY = "sk_" + "S" * 40


@contextmanager
def failing(db: Database, table: str, error: Exception) -> Iterator[None]:
    """Every statement reading `table` raises `error` while the block runs."""

    def fail(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if f"FROM {table}" in statement:
            raise error

    event.listen(db.engine.sync_engine, "before_cursor_execute", fail)
    try:
        yield
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", fail)


def _sql_error() -> ProgrammingError:
    return ProgrammingError(
        "SELECT secret FROM participants WHERE key = $1", (SECRET_KEY,), Exception("boom")
    )


async def test_rest_500_carries_the_request_id(
    client: httpx.AsyncClient, headers: dict[str, str], db: Database
) -> None:
    with failing(db, "participants", _sql_error()):
        response = await client.get("/v1/participants", headers=headers)
    assert response.status_code == 500
    body = response.json()
    assert body["code"] == "internal_error"
    assert body["details"]["request_id"] == response.headers["X-Request-Id"]
    assert "SELECT" not in response.text
    assert SECRET_KEY not in response.text


async def test_graphql_masks_with_the_request_id(
    client: httpx.AsyncClient, headers: dict[str, str], db: Database
) -> None:
    await client.post("/v1/participants", json={"external_id": "m"}, headers=headers)
    with failing(db, "counters", _sql_error()):
        response = await client.post(
            "/graphql",
            json={"query": '{ participant(externalId: "m") { id counters { key } } }'},
            headers={**headers, "X-Request-Id": "client-trace.42"},
        )
    error = response.json()["errors"][0]
    assert error["message"] == "Unexpected error."
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "client-trace.42"}
    assert response.headers["X-Request-Id"] == "client-trace.42"
    assert "SELECT" not in response.text


async def test_graphql_says_when_the_database_is_unavailable(
    client: httpx.AsyncClient, headers: dict[str, str], db: Database
) -> None:
    await client.post("/v1/participants", json={"external_id": "u"}, headers=headers)
    locked = OperationalError("SELECT 1", (), Exception("database is locked"))
    with failing(db, "counters", locked):
        body = await graphql(
            client, '{ participant(externalId: "u") { id counters { key } } }', headers=headers
        )
    assert body["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert body["data"] == {"participant": None}


@pytest.mark.parametrize(
    ("given", "kept"),
    [("abc-123_X.y", True), ("", False), ("bad id with spaces", False), ("x" * 129, False)],
)
async def test_request_ids(client: httpx.AsyncClient, given: str, kept: bool) -> None:
    response = await client.get("/healthz", headers={"X-Request-Id": given})
    echoed = response.headers["X-Request-Id"]
    if kept:
        assert echoed == given
    else:
        assert echoed.startswith("req_")
        assert len(echoed) == 36


def test_log_lines_lose_sql_parameters_and_keys() -> None:
    try:
        raise _sql_error()
    except ProgrammingError:
        record = logging.LogRecord(
            "app.rest", logging.ERROR, __file__, 1, "failed for %s", (SECRET_KEY,), sys.exc_info()
        )
    line = RedactingFormatter("[%(request_id)s] %(message)s").format(record)
    assert line.startswith("[-] failed for sk_[redacted]")
    assert "Traceback" in line
    assert "SELECT secret" not in line
    assert SECRET_KEY not in line
    assert "[SQL redacted]" in line


def test_multi_line_sql_and_row_details_are_cut() -> None:
    message = (
        "(IntegrityError) null value in column violates not-null constraint\n"
        "DETAIL:  Failing row contains (1, jane@example.com).\n"
        "[SQL: SELECT a FROM participants WHERE tags = ARRAY['x']\n"
        "AND email = 'jane@example.com']\n"
        f"[parameters: ('{SECRET_KEY}', 3)]\n"
        "(Background on this error at: https://sqlalche.me/e/21/gkpj)"
    )
    line = redact(message)
    assert "jane@example.com" not in line
    assert "participants" not in line
    assert SECRET_KEY not in line
    assert line.endswith("(Background on this error at: https://sqlalche.me/e/21/gkpj)")


async def test_a_sqlite_bug_is_a_500_not_a_503(
    client: httpx.AsyncClient, headers: dict[str, str], db: Database
) -> None:
    """SQLite raises OperationalError for "no such column" too: that is a bug, not an outage."""
    bug = OperationalError("SELECT nope", (), sqlite3.OperationalError("no such column: nope"))
    outage = OperationalError("SELECT 1", (), sqlite3.OperationalError("database is locked"))
    with failing(db, "participants", bug):
        broken = await client.get("/v1/participants", headers=headers)
    with failing(db, "participants", outage):
        busy = await client.get("/v1/participants", headers=headers)
    assert (broken.status_code, broken.json()["code"]) == (500, "internal_error")
    assert (busy.status_code, busy.json()["code"]) == (503, "service_unavailable")
