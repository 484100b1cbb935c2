"""Ledger benchmark (issue 8): `POST …/balances/adjust` throughput against a hand-written floor.

The app side sends CREDIT adjusts through the real ASGI app (authentication, validation, the
service, the ORM) with `--concurrency` requests in flight. The floor writes the same rows for
each adjust with hand-written SQL on the raw driver, in one transaction: advance the chain head
(`UPDATE ledger_heads … RETURNING`), insert the journal entry (with its SHA-256) and its two
postings, move the balance. Both run against the same database file (or PostgreSQL database),
in alternating rounds (ABBA), each in its own organization; the report gives adjusts per second,
p50/p99 latency and the ratio app / floor. The app's books are checked at the end.

    scripts/bench-ledger [--adjusts N] [--concurrency C] [--rounds R]
                         [--database-url URL] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.core.config import Settings
from app.main import create_app
from app.migrations import upgrade_to_head
from app.services.auth import issue_key
from app.services.ledger import verify_ledger

Timed = list[float]


async def _timed_batch(
    count: int, concurrency: int, one: Callable[[int], Awaitable[None]]
) -> tuple[float, Timed]:
    latencies: Timed = []
    queue = iter(range(count))

    async def worker() -> None:
        for i in queue:
            started = time.perf_counter()
            await one(i)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies


class AppSide:
    def __init__(self, url: str) -> None:
        self.app = create_app(Settings(database_url=url, auth_cache_seconds=5))

    async def start(self) -> None:
        self._lifespan = self.app.router.lifespan_context(self.app)
        await self._lifespan.__aenter__()
        db = self.app.state.db
        issued = await issue_key(db, organization_name=f"bench-{uuid.uuid4().hex[:8]}")
        self.organization_id = issued.organization_id
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app),
            base_url="http://bench",
            headers={"X-API-Key": issued.key},
        )
        program = (await self.client.post("/v1/programs", json={"name": "Bench"})).json()["id"]
        asset = await self.client.post(
            "/v1/assets",
            json={
                "program_id": program,
                "name": "Points",
                "symbol": f"B{uuid.uuid4().hex[:8]}",
                "inventory_mode": "SIMPLE",
                "issuance_policy": "UNLIMITED",
                "scale": 2,
            },
        )
        participant = await self.client.post(
            "/v1/participants", json={"external_id": "bench", "program_id": program}
        )
        self.url = f"/v1/participants/{participant.json()['id']}/balances/adjust"
        self.body = {
            "program_id": program,
            "asset_id": asset.json()["id"],
            "type": "CREDIT",
            "amount": "1.25",
            "description": "bench",
        }

    async def adjust(self, _: int) -> None:
        response = await self.client.post(self.url, json=self.body)
        if response.status_code != 200:
            raise RuntimeError(response.text)

    async def stop(self) -> list[str]:
        problems = await verify_ledger(self.app.state.db, organization_id=self.organization_id)
        await self.client.aclose()
        await self._lifespan.__aexit__(None, None, None)
        return problems


class FloorSide:
    """The same rows per adjust, by hand, on the raw driver."""

    def __init__(self, url: str, concurrency: int) -> None:
        self.url, self.concurrency = url, concurrency
        self.sqlite = url.startswith("sqlite")

    async def start(
        self,
        organization_id: uuid.UUID,
        program_id: uuid.UUID,
        asset_id: uuid.UUID,
        participant_id: uuid.UUID,
    ) -> None:
        self.org, self.program, self.asset, self.participant = (
            organization_id,
            program_id,
            asset_id,
            participant_id,
        )
        if self.sqlite:
            import aiosqlite

            path = self.url.split("///", 1)[1]
            self.pool: asyncio.Queue[Any] = asyncio.Queue()
            for _ in range(self.concurrency):
                conn = await aiosqlite.connect(path, isolation_level=None)
                await conn.execute("PRAGMA busy_timeout=30000")
                await conn.execute("PRAGMA synchronous=NORMAL")
                await conn.execute("PRAGMA foreign_keys=ON")
                self.pool.put_nowait(conn)
            conn = await self.pool.get()
            await conn.execute(
                """INSERT OR IGNORE INTO ledger_heads (organization_id, sequence,
entry_hash) VALUES (?, 0, ?)""",
                (self._id(self.org), "0" * 64),
            )
            self.pool.put_nowait(conn)
        else:
            dsn = self.url.replace("postgresql+asyncpg", "postgresql")
            self.pg = await asyncpg.create_pool(
                dsn, min_size=self.concurrency, max_size=self.concurrency
            )
            await self.pg.execute(
                """INSERT INTO ledger_heads (organization_id, sequence, entry_hash)
VALUES ($1, 0, $2) ON CONFLICT DO NOTHING""",
                self.org,
                "0" * 64,
            )

    def _id(self, value: uuid.UUID) -> Any:
        return value.hex if self.sqlite else value

    def _now(self) -> Any:
        now = datetime.now(UTC)
        return now.replace(tzinfo=None).isoformat(sep=" ") if self.sqlite else now

    async def adjust(self, _: int) -> None:
        entry_id = uuid.uuid4()
        amount = Decimal("1.25")
        if self.sqlite:
            conn = await self.pool.get()
            try:
                await conn.execute("BEGIN IMMEDIATE")
                cursor = await conn.execute(
                    """UPDATE ledger_heads SET sequence = sequence + 1 WHERE organization_id
= ? RETURNING sequence, entry_hash""",
                    (self._id(self.org),),
                )
                sequence, previous = await cursor.fetchone()
                digest = hashlib.sha256(
                    f"{previous}{entry_id}{sequence}{amount}".encode()
                ).hexdigest()
                now = self._now()
                await conn.execute(
                    "UPDATE ledger_heads SET entry_hash = ? WHERE organization_id = ?",
                    (digest, self._id(self.org)),
                )
                await conn.execute(
                    """INSERT INTO journal_entries (id, organization_id, sequence,
action_type, program_id, asset_id, participant_id, description,
previous_hash, entry_hash, created_at) VALUES (?, ?, ?, 'CREDIT', ?,
?, ?, 'floor', ?, ?, ?)""",
                    (
                        entry_id.hex,
                        self._id(self.org),
                        sequence,
                        self._id(self.program),
                        self._id(self.asset),
                        self._id(self.participant),
                        previous,
                        digest,
                        now,
                    ),
                )
                for entity, system, value in (
                    (None, "SYSTEM_ISSUANCE", -amount),
                    (self._id(self.participant), None, amount),
                ):
                    await conn.execute(
                        """INSERT INTO postings (id, organization_id, journal_entry_id,
entity_type, entity_id, system_account, asset_id, bucket, amount,
created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'AVAILABLE', ?, ?)""",
                        (
                            uuid.uuid4().hex,
                            self._id(self.org),
                            entry_id.hex,
                            "SYSTEM" if system else "PARTICIPANT",
                            entity,
                            system,
                            self._id(self.asset),
                            str(value),
                            now,
                        ),
                    )
                cursor = await conn.execute(
                    """SELECT available FROM balances WHERE participant_id = ? AND asset_id =
?""",
                    (self._id(self.participant), self._id(self.asset)),
                )
                row = await cursor.fetchone()
                if row is None:
                    await conn.execute(
                        """INSERT INTO balances (participant_id, asset_id, organization_id,
available, deferred, held, updated_at) VALUES (?, ?, ?, ?, '0.00',
'0.00', ?)""",
                        (
                            self._id(self.participant),
                            self._id(self.asset),
                            self._id(self.org),
                            str(amount),
                            now,
                        ),
                    )
                else:
                    await conn.execute(
                        """UPDATE balances SET available = ?, updated_at = ? WHERE participant_id
= ? AND asset_id = ?""",
                        (
                            str(Decimal(row[0]) + amount),
                            now,
                            self._id(self.participant),
                            self._id(self.asset),
                        ),
                    )
                await conn.execute("COMMIT")
            finally:
                self.pool.put_nowait(conn)
            return
        async with self.pg.acquire() as conn, conn.transaction():
            sequence, previous = await conn.fetchrow(
                """UPDATE ledger_heads SET sequence = sequence + 1 WHERE organization_id
= $1 RETURNING sequence, entry_hash""",
                self.org,
            )
            digest = hashlib.sha256(f"{previous}{entry_id}{sequence}{amount}".encode()).hexdigest()
            now = self._now()
            await conn.execute(
                """UPDATE ledger_heads SET entry_hash = $1 WHERE organization_id = $2""",
                digest,
                self.org,
            )
            await conn.execute(
                """INSERT INTO journal_entries (id, organization_id, sequence,
action_type, program_id, asset_id, participant_id, description,
previous_hash, entry_hash, created_at) VALUES ($1, $2, $3, 'CREDIT',
$4, $5, $6, 'floor', $7, $8, $9)""",
                entry_id,
                self.org,
                sequence,
                self.program,
                self.asset,
                self.participant,
                previous,
                digest,
                now,
            )
            await conn.executemany(
                """INSERT INTO postings (id, organization_id, journal_entry_id,
entity_type, entity_id, system_account, asset_id, bucket, amount,
created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'AVAILABLE', $8, $9)""",
                [
                    (
                        uuid.uuid4(),
                        self.org,
                        entry_id,
                        "SYSTEM",
                        None,
                        "SYSTEM_ISSUANCE",
                        self.asset,
                        -amount,
                        now,
                    ),
                    (
                        uuid.uuid4(),
                        self.org,
                        entry_id,
                        "PARTICIPANT",
                        self.participant,
                        None,
                        self.asset,
                        amount,
                        now,
                    ),
                ],
            )
            await conn.execute(
                """INSERT INTO balances (participant_id, asset_id, organization_id,
available, deferred, held, updated_at) VALUES ($1, $2, $3, $4, 0, 0,
$5) ON CONFLICT (participant_id, asset_id) DO UPDATE SET available =
balances.available + EXCLUDED.available, updated_at =
EXCLUDED.updated_at""",
                self.participant,
                self.asset,
                self.org,
                amount,
                now,
            )

    async def stop(self) -> None:
        if self.sqlite:
            while not self.pool.empty():
                await (self.pool.get_nowait()).close()
        else:
            await self.pg.close()


async def _floor_tenant(app: AppSide) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID, uuid.UUID]:
    """A second organization, program, asset and participant for the floor's rows."""
    db = app.app.state.db
    issued = await issue_key(db, organization_name=f"floor-{uuid.uuid4().hex[:8]}")
    headers = {"X-API-Key": issued.key}
    program = (
        await app.client.post("/v1/programs", json={"name": "Floor"}, headers=headers)
    ).json()["id"]
    asset = (
        await app.client.post(
            "/v1/assets",
            json={
                "program_id": program,
                "name": "Points",
                "symbol": f"F{uuid.uuid4().hex[:8]}",
                "inventory_mode": "SIMPLE",
                "issuance_policy": "UNLIMITED",
                "scale": 2,
            },
            headers=headers,
        )
    ).json()["id"]
    participant = (
        await app.client.post(
            "/v1/participants",
            json={"external_id": "floor", "program_id": program},
            headers=headers,
        )
    ).json()["id"]
    return issued.organization_id, uuid.UUID(program), uuid.UUID(asset), uuid.UUID(participant)


def _summary(runs: list[tuple[float, Timed]], adjusts: int) -> dict[str, float]:
    latencies = sorted(t for _, t_list in runs for t in t_list)
    seconds = sum(s for s, _ in runs)
    return {
        "adjusts_per_second": round(adjusts * len(runs) / seconds, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
    }


async def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--adjusts", type=int, default=500, help="per round (default 500)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=4, help="ABBA rounds (default 4)")
    parser.add_argument("--database-url", help="default: a new SQLite file")
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args()
    url = args.database_url or f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/ledger-bench.db"
    await asyncio.to_thread(upgrade_to_head, url)
    app = AppSide(url)
    await app.start()
    floor = FloorSide(url, args.concurrency)
    await floor.start(*(await _floor_tenant(app)))
    await _timed_batch(50, args.concurrency, app.adjust)  # warm both up
    await _timed_batch(50, args.concurrency, floor.adjust)
    app_runs: list[tuple[float, Timed]] = []
    floor_runs: list[tuple[float, Timed]] = []
    for round_ in range(args.rounds):
        order = [("app", app.adjust), ("floor", floor.adjust)]
        for name, one in order if round_ % 2 == 0 else reversed(order):
            (app_runs if name == "app" else floor_runs).append(
                await _timed_batch(args.adjusts, args.concurrency, one)
            )
    problems = await app.stop()
    await floor.stop()
    app_summary, floor_summary = (
        _summary(app_runs, args.adjusts),
        _summary(floor_runs, args.adjusts),
    )
    report: dict[str, Any] = {
        "database": url.split(":", 1)[0],
        "adjusts_per_round": args.adjusts,
        "concurrency": args.concurrency,
        "rounds": args.rounds,
        "app": app_summary,
        "floor": floor_summary,
        "books_check": "ok" if not problems else problems[:5],
    }
    report["ratio_app_to_floor"] = round(
        app_summary["adjusts_per_second"] / floor_summary["adjusts_per_second"], 3
    )
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
