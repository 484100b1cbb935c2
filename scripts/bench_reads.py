"""Read benchmark (issue 3): seed N participants, then time the main reads against a floor.

Each scenario is timed through the real ASGI app in-process (so no network in the figure) and,
alternating with it, as the same read done by hand-written SQL on the raw driver (aiosqlite or
asyncpg) with the same database: the floor. Reports p50/p95 in milliseconds of server time (from
the moment the app is called to its last response byte, as the issue asks) and the ratio of its
p50 to the floor's; the client's round trip (httpx building the request and reading the
answer, on the same thread) is shown beside it. Run it through `scripts/bench-reads --help`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiosqlite
import asyncpg
import httpx
from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.core.config import Settings
from app.core.db import Database
from app.main import create_app
from app.migrations import upgrade_to_head
from app.models import (
    Asset,
    Balance,
    Counter,
    Enrollment,
    Participant,
    ParticipantTier,
    Program,
)
from app.services.auth import issue_key

ORG = "bench-reads"
CHUNK = 5_000
BASE = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass
class Tenant:
    organization_id: uuid.UUID
    key: str


async def seed(db: Database, count: int) -> Tenant:
    """The benchmark organization with `count` participants, each with an enrollment, two balances,
    two counters and a tier; reused when it is already there."""
    issued = await issue_key(db, organization_name=ORG)
    org = issued.organization_id
    async with db.read() as session:
        have = await session.scalar(
            select(func.count()).select_from(Participant).where(Participant.organization_id == org)  # type: ignore[arg-type]
        )
    if have == count:
        return Tenant(org, issued.key)
    if have:
        raise SystemExit(f"{ORG} holds {have} participants, not {count}: use a fresh database")
    async with db.transaction() as session:
        program = Program(organization_id=org, name="Bench program")
        assets = [
            Asset(organization_id=org, name="Points", symbol="PTS", scale=2),
            Asset(organization_id=org, name="Miles", symbol="MLS", scale=0),
        ]
        session.add_all([program, *assets])
    started = time.perf_counter()
    for start in range(0, count, CHUNK):
        await _seed_chunk(
            db, org, program.id, [a.id for a in assets], start, min(count, start + CHUNK)
        )
        done = min(count, start + CHUNK)
        print(
            f"\rseeded {done:,}/{count:,} ({time.perf_counter() - started:.0f} s)",
            end="",
            file=sys.stderr,
        )
    print(file=sys.stderr)
    return Tenant(org, issued.key)


async def _seed_chunk(
    db: Database,
    org: uuid.UUID,
    program_id: uuid.UUID,
    asset_ids: list[uuid.UUID],
    lo: int,
    hi: int,
) -> None:
    people, enrollments, balances, counters, tiers = [], [], [], [], []
    for i in range(lo, hi):
        pid = uuid.uuid4()
        at = BASE + timedelta(seconds=i)
        people.append(
            {
                "id": pid,
                "organization_id": org,
                "external_id": f"user-{i:07d}",
                "status": "ACTIVE" if i % 10 else "SUSPENDED",
                "email": f"person{i}@example.com",
                "first_name": "Jane" if i % 2 else "John",
                "last_name": f"Doe{i}",
                "display_name": None,
                "phone": None,
                "attributes": {"plan": "premium" if i % 3 else "basic", "region": "us-east"},
                "tags": ["vip"] if i % 5 == 0 else [],
                "created_at": at,
                "updated_at": at,
            }
        )
        enrollments.append(
            {
                "participant_id": pid,
                "program_id": program_id,
                "organization_id": org,
                "status": "ACTIVE",
                "created_at": at,
                "updated_at": at,
            }
        )
        for asset_id in asset_ids:
            balances.append(
                {
                    "participant_id": pid,
                    "asset_id": asset_id,
                    "organization_id": org,
                    "available": Decimal(i % 5000),
                    "deferred": Decimal(0),
                    "held": Decimal(i % 7),
                    "updated_at": at,
                }
            )
        for key in ("purchases", "points_earned"):
            counters.append(
                {
                    "participant_id": pid,
                    "key": key,
                    "organization_id": org,
                    "value": Decimal(i % 100),
                    "reset_after": None,
                    "last_reset_at": None,
                    "updated_at": at,
                }
            )
        tiers.append(
            {
                "participant_id": pid,
                "program_id": program_id,
                "tier_key": "loyalty",
                "organization_id": org,
                "level": "gold" if i % 4 else "silver",
                "rank": 2 if i % 4 else 1,
                "updated_at": at,
            }
        )
    async with db.transaction() as session:
        for model, rows in (
            (Participant, people),
            (Enrollment, enrollments),
            (Balance, balances),
            (Counter, counters),
            (ParticipantTier, tiers),
        ):
            await session.execute(insert(model), rows)
    if db.engine.dialect.name == "postgresql":
        # Fresh statistics, or the planner (foreign-key checks included) takes the growing
        # tables for empty ones and scans them: each chunk would take longer than the last.
        async with db.engine.begin() as connection:
            await connection.execute(text("ANALYZE participants, enrollments, balances, counters"))
            await connection.execute(text("ANALYZE participant_tiers"))


class Floor:
    """Hand-written SQL on the raw driver, the same database, the same settings."""

    def __init__(self, url: str, org: uuid.UUID) -> None:
        self.url = make_url(url)
        self.sqlite = self.url.get_backend_name() == "sqlite"
        self.org: Any = org.hex if self.sqlite else org
        self.conn: Any = None

    async def open(self) -> None:
        if self.sqlite:
            self.conn = await aiosqlite.connect(self.url.database or "")
            cache = f"cache_size=-{Settings().sqlite_cache_mb * 1024}"  # the app's page cache
            for pragma in ("journal_mode=WAL", "busy_timeout=5000", "synchronous=NORMAL", cache):
                await self.conn.execute(f"PRAGMA {pragma}")
        else:
            dsn = self.url.set(drivername="postgresql").render_as_string(hide_password=False)
            self.conn = await asyncpg.connect(dsn)

    async def close(self) -> None:
        await self.conn.close()

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        if self.sqlite:
            # "$2" → "?2": SQLite's numbered parameters, so one SQL text serves both drivers.
            async with self.conn.execute(sql.replace("$", "?"), args) as cur:
                return list(await cur.fetchall())
        return list(await self.conn.fetch(sql, *args))


PAGE_SQL = (
    "SELECT * FROM participants WHERE organization_id = $1 {extra}"
    " ORDER BY created_at DESC, id DESC LIMIT {limit}"
)


async def graphql_page_by_hand(floor: Floor) -> None:
    """What the GraphQL page reads, as hand-written SQL: the page, then its participants'
    programs, balances, the balances' assets, counters and tiers (statement for statement)."""
    page = await floor.fetch(PAGE_SQL.format(extra="", limit=101), floor.org)
    ids = [row[0] for row in page[:100]]
    marks = ", ".join(f"${i + 2}" for i in range(len(ids)))
    owned = f"organization_id = $1 AND participant_id IN ({marks})"
    await floor.fetch(
        "SELECT e.participant_id, p.* FROM enrollments e JOIN programs p"
        " ON p.id = e.program_id AND p.organization_id = e.organization_id"
        f" WHERE e.organization_id = $1 AND e.participant_id IN ({marks})"
        " AND e.status = 'ACTIVE' ORDER BY e.created_at, e.program_id",
        floor.org,
        *ids,
    )
    balances = await floor.fetch(
        f"SELECT participant_id, asset_id, available, deferred, held FROM balances WHERE {owned}"
        " ORDER BY asset_id",
        floor.org,
        *ids,
    )
    asset_ids = list(dict.fromkeys(row[1] for row in balances))
    asset_marks = ", ".join(f"${i + 2}" for i in range(len(asset_ids)))
    await floor.fetch(
        f"SELECT * FROM assets WHERE organization_id = $1 AND id IN ({asset_marks})",
        floor.org,
        *asset_ids,
    )
    await floor.fetch(
        "SELECT participant_id, key, value, reset_after, last_reset_at FROM counters"
        f" WHERE {owned} ORDER BY key",
        floor.org,
        *ids,
    )
    await floor.fetch(
        "SELECT pt.participant_id, pt.program_id, pt.tier_key, pt.level,"
        " coalesce(l.rank, pt.rank), t.display_name, l.display_name, l.benefits,"
        " pt.acquired_at, pt.expires_at FROM participant_tiers pt"
        " LEFT JOIN tiers t ON t.organization_id = pt.organization_id"
        " AND t.program_id = pt.program_id AND t.key = pt.tier_key"
        " LEFT JOIN tier_levels l ON l.tier_id = t.id AND l.key = pt.level"
        f" WHERE pt.organization_id = $1 AND pt.participant_id IN ({marks})"
        " ORDER BY pt.program_id, pt.tier_key",
        floor.org,
        *ids,
    )


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class ServerClock:
    """ASGI wrapper timing the app from the moment it is called to its last response byte."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.last_ms = 0.0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        started = time.perf_counter()

        async def timed_send(message: Any) -> None:
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self.last_ms = (time.perf_counter() - started) * 1000
            await send(message)

        await self.app(scope, receive, timed_send)


async def timed(call: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await call()
    return (time.perf_counter() - started) * 1000


async def run(args: argparse.Namespace) -> dict[str, Any]:
    url = args.database_url or f"sqlite+aiosqlite:///data/bench/reads-{args.participants}.db"
    await asyncio.to_thread(upgrade_to_head, url)
    db = Database.from_settings(Settings(database_url=url))
    tenant = await seed(db, args.participants)
    await db.dispose()

    app = create_app(Settings(database_url=url))
    floor = Floor(url, tenant.organization_id)
    await floor.open()
    try:
        results = await _measure(args, app, floor, tenant)
    finally:
        await floor.close()  # an open aiosqlite connection would keep the process alive
    return {
        "participants": args.participants,
        "database": make_url(url).get_backend_name(),
        "scenarios": results,
    }


async def _measure(
    args: argparse.Namespace, app: Any, floor: Floor, tenant: Tenant
) -> dict[str, Any]:
    headers = {"X-API-Key": tenant.key}
    results: dict[str, Any] = {}
    async with app.router.lifespan_context(app):
        clock = ServerClock(app)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=clock), base_url="http://bench"
        )
        target = f"user-{args.participants // 2:07d}"
        deep = (await client.get("/v1/participants", params={"limit": 200}, headers=headers)).json()
        cursor = None
        for _ in range(min(10_000, args.participants - 1) // 200):  # the page after 10,000 rows
            cursor = deep["pagination"]["next_cursor"]
            deep = (
                await client.get(
                    "/v1/participants", params={"limit": 200, "cursor": cursor}, headers=headers
                )
            ).json()
        last = deep["data"][-1]
        last_at = datetime.fromisoformat(last["created_at"])
        last_key: tuple[Any, Any] = (
            (last_at.strftime("%Y-%m-%d %H:%M:%S.%f"), uuid.UUID(last["id"]).hex)
            if floor.sqlite
            else (last_at, uuid.UUID(last["id"]))
        )
        after_10k = deep["pagination"]["next_cursor"]
        lazy_query = (
            "query($after: String) { participants(first: 100, after: $after) { edges { node {"
            " id externalId programs { id name } balances { available held asset { symbol } }"
            " counters { key value } tiers { key level rank } } } } }"
        )
        search = "person123456@"
        like = f"%{search}%"
        scenarios: dict[str, tuple[Callable[[], Awaitable[Any]], Callable[[], Awaitable[Any]]]] = {
            "lookup by external_id": (
                lambda: client.get(
                    "/v1/participants", params={"external_id": target}, headers=headers
                ),
                lambda: floor.fetch(
                    "SELECT * FROM participants WHERE organization_id = $1 AND external_id = $2",
                    floor.org,
                    target,
                ),
            ),
            "first page of 50": (
                lambda: client.get("/v1/participants", headers=headers),
                lambda: floor.fetch(PAGE_SQL.format(extra="", limit=51), floor.org),
            ),
            "page after 10,000 rows": (
                lambda: client.get(
                    "/v1/participants", params={"cursor": after_10k}, headers=headers
                ),
                lambda: floor.fetch(
                    PAGE_SQL.format(extra="AND (created_at, id) < ($2, $3)", limit=51),
                    floor.org,
                    *last_key,
                ),
            ),
            "GraphQL page of 100, all lazy fields": (
                lambda: client.post("/graphql", json={"query": lazy_query}, headers=headers),
                lambda: graphql_page_by_hand(floor),
            ),
            # Last: it reads the whole tenant, and the reads after it would start with the
            # caches it churned (seen here: 10-35% slower, floor and app alike).
            "search": (
                lambda: client.get("/v1/participants", params={"search": search}, headers=headers),
                lambda: floor.fetch(
                    PAGE_SQL.format(
                        extra="AND (lower(external_id) LIKE $2 OR lower(email) LIKE $2"
                        " OR lower(phone) LIKE $2 OR lower(first_name) LIKE $2"
                        " OR lower(last_name) LIKE $2 OR lower(display_name) LIKE $2)",
                        limit=51,
                    ),
                    floor.org,
                    like,
                ),
            ),
        }
        for name, (through_app, by_hand) in scenarios.items():
            if args.only and args.only.lower() not in name.lower():
                continue
            for _ in range(args.warmup):
                await through_app()
                await by_hand()
            app_ms, client_ms, floor_ms = [], [], []
            for _ in range(args.requests):  # alternate, so machine drift hits both alike
                client_ms.append(await timed(through_app))
                app_ms.append(clock.last_ms)
                floor_ms.append(await timed(by_hand))
            results[name] = {
                "p50_ms": statistics.median(app_ms),
                "p95_ms": percentile(app_ms, 0.95),
                "client_p50_ms": statistics.median(client_ms),
                "floor_p50_ms": statistics.median(floor_ms),
                "floor_p95_ms": percentile(floor_ms, 0.95),
                "ratio_p50": statistics.median(app_ms) / max(statistics.median(floor_ms), 1e-9),
            }
        await client.aclose()
    return results


def print_table(report: dict[str, Any]) -> None:
    print(f"\n{report['participants']:,} participants on {report['database']}")
    print(f"| {'read':38} | p50 ms | p95 ms | floor p50 | app ÷ floor | client round trip p50 |")
    print(f"|{'-' * 40}|-------:|-------:|----------:|------------:|---------------------:|")
    for name, r in report["scenarios"].items():
        print(
            f"| {name:38} | {r['p50_ms']:6.2f} | {r['p95_ms']:6.2f} | {r['floor_p50_ms']:9.2f} |"
            f" {r['ratio_p50']:11.1f} | {r['client_p50_ms']:20.2f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(prog="scripts/bench-reads", description=__doc__)
    parser.add_argument("--participants", type=int, default=1_000_000)
    parser.add_argument("--database-url", help="default: a SQLite file under data/bench/")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per scenario")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--json", type=Path, help="also write the report here")
    parser.add_argument("--only", help="run only the scenarios whose name contains this text")
    args = parser.parse_args()
    report = asyncio.run(run(args))
    print_table(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
