"""The floor of the write benchmark (`scripts/bench`): the same write or read, done by hand.

A minimal Starlette app, served by uvicorn (one worker, in this process), that does what
`POST /v1/participants` and `Query.participant(externalId:)` do to the database with ONE
hand-written SQL statement on the raw driver, against the same database with the same settings as
the app (`app/core/db.py`):

- SQLite (aiosqlite): a fixed pool of `--pool-size` connections, each with `journal_mode=WAL`,
  `busy_timeout`, `synchronous=NORMAL` and `foreign_keys=ON`, in autocommit mode; a write is
  `BEGIN IMMEDIATE`, the statement, `COMMIT`. Ids are stored as 32 hex digits and times as
  `YYYY-MM-DD HH:MM:SS.ffffff` UTC text, as SQLAlchemy does for the app's columns.
- PostgreSQL (asyncpg): a pool of `--pool-size` connections; the statement runs alone.

Routes (no authentication):

- `POST /floor/participants` with a JSON object (`external_id` required; `email`, `phone`,
  `first_name`, `last_name`, `display_name`, `attributes`, `tags` optional):
  `INSERT … ON CONFLICT (organization_id, external_id) DO UPDATE … RETURNING id`, with the app's
  upsert rules (given fields overwrite, attributes merge, `created_at` stays). 201 when inserted,
  200 when updated, body `{"id": …, "created": …}`. Nothing is validated beyond the JSON shape.
- `GET /floor/participants?external_id=…`: one `SELECT` of the participant row, as JSON; 404 when
  there is none.
- `GET /healthz`: 200 once the pool is open.

Run by `scripts/bench_writes.py`; by hand:
`python scripts/bench_floor.py --database-url URL --organization-id UUID --port 8001`
(or `FLOOR_DATABASE_URL` / `FLOOR_ORGANIZATION_ID` in the environment).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, Protocol

import aiosqlite
import asyncpg
import orjson
import uvicorn
from sqlalchemy.engine import make_url
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

PROFILE = ("email", "phone", "first_name", "last_name", "display_name")
COLUMNS = (
    "id, organization_id, external_id, status, email, phone, first_name, last_name, display_name,"
    " attributes, tags, created_at, updated_at"
)
_SET_PROFILE = ", ".join(f"{c} = coalesce(excluded.{c}, participants.{c})" for c in PROFILE)
# {json} is the JSON cast, {merge} the attribute merge; both differ per database.
_UPSERT = (
    f"INSERT INTO participants ({COLUMNS})"
    " VALUES ($1, $2, $3, 'ACTIVE', $4, $5, $6, $7, $8, coalesce($9{json}, '{{}}'{json}),"
    " coalesce($10{json}, '[]'{json}), $11, $11)"
    f" ON CONFLICT (organization_id, external_id) DO UPDATE SET {_SET_PROFILE},"
    " attributes = {merge}, tags = coalesce($10{json}, participants.tags),"
    " updated_at = excluded.updated_at"
    " RETURNING id"
)
#: SQLite: numbered `?NN` parameters, text JSON merged by `json_patch` (as the app does).
SQLITE_UPSERT = _UPSERT.format(
    json="", merge="json_patch(participants.attributes, excluded.attributes)"
).replace("$", "?")
#: PostgreSQL: `jsonb`, merged by `||` (as the app does).
POSTGRES_UPSERT = _UPSERT.format(
    json="::jsonb", merge="participants.attributes || excluded.attributes"
)
_SELECT = f"SELECT {COLUMNS} FROM participants WHERE organization_id = $1 AND external_id = $2"
SQLITE_SELECT = _SELECT.replace("$", "?")
POSTGRES_SELECT = _SELECT


class Backend(Protocol):
    async def open(self) -> None: ...
    async def close(self) -> None: ...
    async def upsert(self, data: Mapping[str, Any]) -> bool:
        """Insert or update; True when inserted."""

    async def get(self, external_id: str) -> dict[str, Any] | None: ...


def _json_or_none(value: Any) -> str | None:
    # json.dumps, not orjson: the same text SQLAlchemy stores for the app.
    return None if value is None else json.dumps(value)


def _row_values(data: Mapping[str, Any]) -> list[Any]:
    return [
        data["external_id"],
        *(data.get(c) for c in PROFILE),
        _json_or_none(data.get("attributes")),
        _json_or_none(data.get("tags")),
    ]


class SqliteBackend:
    """A fixed pool of aiosqlite connections tuned like the app's."""

    def __init__(self, path: str, organization_id: uuid.UUID, size: int, busy_ms: int) -> None:
        self.path, self.org, self.size = path, organization_id.hex, size
        self.pragmas = [
            "journal_mode=WAL",
            f"busy_timeout={busy_ms}",
            "synchronous=NORMAL",
            "foreign_keys=ON",
        ]
        self.idle: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()

    async def open(self) -> None:
        for _ in range(self.size):
            conn = await aiosqlite.connect(self.path, isolation_level=None)
            for pragma in self.pragmas:
                await conn.execute_fetchall(f"PRAGMA {pragma}")
            self.idle.put_nowait(conn)

    async def close(self) -> None:
        while not self.idle.empty():
            await self.idle.get_nowait().close()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[aiosqlite.Connection]:
        conn = await self.idle.get()
        try:
            yield conn
        finally:
            self.idle.put_nowait(conn)

    async def upsert(self, data: Mapping[str, Any]) -> bool:
        new_id = uuid.uuid4().hex
        now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        params = [new_id, self.org, *_row_values(data), now]
        async with self.connection() as conn:
            await conn.execute_fetchall("BEGIN IMMEDIATE")
            try:
                rows = list(await conn.execute_fetchall(SQLITE_UPSERT, params))
            except BaseException:
                await conn.execute_fetchall("ROLLBACK")
                raise
            await conn.execute_fetchall("COMMIT")
        return bool(rows[0][0] == new_id)

    async def get(self, external_id: str) -> dict[str, Any] | None:
        async with self.connection() as conn:
            rows = list(await conn.execute_fetchall(SQLITE_SELECT, (self.org, external_id)))
        return _row_dict(rows[0]) if rows else None


class PostgresBackend:
    """An asyncpg pool."""

    def __init__(self, dsn: str, organization_id: uuid.UUID, size: int) -> None:
        self.dsn, self.org, self.size = dsn, organization_id, size
        self.pool: Any = None

    async def open(self) -> None:
        self.pool = await asyncpg.create_pool(self.dsn, min_size=self.size, max_size=self.size)

    async def close(self) -> None:
        await self.pool.close()

    async def upsert(self, data: Mapping[str, Any]) -> bool:
        new_id = uuid.uuid4()
        params = [new_id, self.org, *_row_values(data), datetime.now(UTC)]
        returned = await self.pool.fetchval(POSTGRES_UPSERT, *params)
        return bool(returned == new_id)

    async def get(self, external_id: str) -> dict[str, Any] | None:
        row = await self.pool.fetchrow(POSTGRES_SELECT, self.org, external_id)
        return None if row is None else _row_dict(tuple(row))


def _row_dict(row: Sequence[Any]) -> dict[str, Any]:
    values = dict(zip(COLUMNS.split(", "), tuple(row), strict=True))
    values["id"] = str(uuid.UUID(str(values["id"])))
    values.pop("organization_id")
    for name in ("attributes", "tags"):
        values[name] = orjson.loads(values[name])
    return values


def _json(body: object, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def create_floor_app(backend: Backend) -> Starlette:
    async def write(request: Request) -> Response:
        try:
            data = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            return _json({"error": "the body is not JSON"}, 400)
        if not isinstance(data, dict) or not isinstance(data.get("external_id"), str):
            return _json({"error": "external_id is required"}, 400)
        created = await backend.upsert(data)
        return _json({"created": created}, 201 if created else 200)

    async def read(request: Request) -> Response:
        row = await backend.get(request.query_params.get("external_id", ""))
        return _json(row) if row is not None else _json({"error": "not found"}, 404)

    async def healthz(_request: Request) -> Response:
        return _json({"status": "ok"})

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await backend.open()
        try:
            yield
        finally:
            await backend.close()

    routes = [
        Route("/floor/participants", write, methods=["POST"]),
        Route("/floor/participants", read, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


def backend_for(url: str, organization_id: uuid.UUID, pool_size: int, busy_ms: int) -> Backend:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return SqliteBackend(parsed.database or "", organization_id, pool_size, busy_ms)
    dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    return PostgresBackend(dsn, organization_id, pool_size)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/bench_floor.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    env = os.environ
    parser.add_argument(
        "--database-url",
        default=env.get("FLOOR_DATABASE_URL"),
        help="SQLAlchemy-style URL of the app's database (env FLOOR_DATABASE_URL)",
    )
    parser.add_argument(
        "--organization-id",
        default=env.get("FLOOR_ORGANIZATION_ID"),
        help="the organization the rows belong to (env FLOOR_ORGANIZATION_ID)",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument(
        "--pool-size",
        type=int,
        default=int(env.get("DB_POOL_SIZE") or 10),
        help="database connections (default: DB_POOL_SIZE or 10, the app's pool size)",
    )
    parser.add_argument(
        "--busy-timeout-ms",
        type=int,
        default=int(env.get("SQLITE_BUSY_TIMEOUT_MS") or 5000),
        help="SQLite busy timeout (default: SQLITE_BUSY_TIMEOUT_MS or 5000, as the app)",
    )
    args = parser.parse_args(argv)
    if not args.database_url or not args.organization_id:
        parser.error("--database-url and --organization-id are required")
    return args


def main() -> None:
    args = parse_args()
    backend = backend_for(
        args.database_url, uuid.UUID(args.organization_id), args.pool_size, args.busy_timeout_ms
    )
    uvicorn.run(
        create_floor_app(backend),
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
