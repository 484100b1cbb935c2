"""Several app processes on one database (issue 4): no per-process state that correctness needs.

Two real `python -m app serve` processes start together on an empty database (they migrate one
at a time), then receive overlapping concurrent creates of the same external_ids.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from pathlib import Path

import httpx
import pytest

from tests.helpers import discard_database, fresh_database_url
from tests.servers import free_port, run_cli, start_serve, stop, wait_until_healthy

EXTERNAL_IDS = [f"worker-race-{i:02d}" for i in range(25)]
SENDS_PER_SERVER = 4


@pytest.mark.parametrize("kind", ["postgresql", "sqlite"])
async def test_two_workers_create_each_external_id_exactly_once(kind: str, tmp_path: Path) -> None:
    url = await fresh_database_url(kind, tmp_path)
    ports = [free_port(), free_port()]
    servers = [start_serve(database_url=url, port=port) for port in ports]
    try:
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        for base, server in zip(bases, servers, strict=True):
            await asyncio.to_thread(wait_until_healthy, base, server, 60)
        issued = await asyncio.to_thread(run_cli, "create-key", "--org", "race", database_url=url)
        headers = {"X-API-Key": issued.stdout.strip()}
        clients = [httpx.AsyncClient(base_url=base, headers=headers, timeout=30) for base in bases]
        try:
            sends = [
                (external_id, client)
                for _ in range(SENDS_PER_SERVER)
                for external_id in EXTERNAL_IDS
                for client in clients
            ]
            responses = await asyncio.gather(
                *(
                    client.post(
                        "/v1/participants", json={"external_id": external_id, "tags": ["race"]}
                    )
                    for external_id, client in sends
                )
            )
            listed = await clients[0].get("/v1/participants", params={"limit": 200})
        finally:
            for client in clients:
                await client.aclose()
    finally:
        codes = [stop(server) for server in servers]
        await discard_database(url)
    assert set(codes) <= {0, -15}, codes

    assert {r.status_code for r in responses} <= {200, 201}, [r.text for r in responses][:3]
    created: dict[str, int] = defaultdict(int)
    ids: dict[str, set[str]] = defaultdict(set)
    for (external_id, _), response in zip(sends, responses, strict=True):
        created[external_id] += response.status_code == 201
        ids[external_id].add(response.json()["id"])
    assert all(created[e] == 1 for e in EXTERNAL_IDS), created
    assert all(len(ids[e]) == 1 for e in EXTERNAL_IDS), ids
    rows = listed.json()["data"]
    assert sorted(row["external_id"] for row in rows) == EXTERNAL_IDS
