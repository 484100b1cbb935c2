"""`python -m app create-key` and `python -m app serve`, as real processes."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import subprocess
from pathlib import Path

import httpx
import pytest

from app.core.config import Settings
from app.main import create_app
from tests.helpers import discard_database, fresh_database_url
from tests.servers import free_port, printed_line, run_cli, start_serve, stop, wait_until_healthy

KEY = re.compile(r"^sk_[A-Za-z0-9_-]{32,}$")


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
async def test_create_key_prints_the_key_alone(kind: str, tmp_path: Path) -> None:
    url = await fresh_database_url(kind, tmp_path)
    try:
        first = await asyncio.to_thread(run_cli, "create-key", "--org", "acme", database_url=url)
        second = await asyncio.to_thread(run_cli, "create-key", "--org", "acme", database_url=url)
        keys = [first.stdout.removesuffix("\n"), second.stdout.removesuffix("\n")]
        assert all(KEY.match(key) for key in keys), keys
        assert keys[0] != keys[1]
    finally:
        await discard_database(url)


async def test_list_and_revoke_keys(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'keys.db'}"
    key = (await asyncio.to_thread(run_cli, "create-key", "--org", "acme", database_url=url)).stdout
    await asyncio.to_thread(run_cli, "create-key", "--org", "beta", database_url=url)
    listed = (await asyncio.to_thread(run_cli, "list-keys", database_url=url)).stdout
    assert key.strip() not in listed
    header, acme, beta = listed.splitlines()
    assert header.split()[:3] == ["ID", "ORGANIZATION", "PREFIX"]
    assert acme.split()[1:3] == ["acme", key[:12]]
    assert acme.split()[-2:] == ["-", "-"]  # never used, not revoked
    only_beta = await asyncio.to_thread(run_cli, "list-keys", "--org", "beta", database_url=url)
    assert only_beta.stdout.splitlines()[1:] == [beta]

    revoked = await asyncio.to_thread(run_cli, "revoke-key", key[:12], database_url=url)
    assert "revoked" in revoked.stdout
    after = await asyncio.to_thread(run_cli, "list-keys", "--org", "acme", database_url=url)
    assert after.stdout.splitlines()[1].split()[-1].endswith("Z")  # the revocation time
    with pytest.raises(subprocess.CalledProcessError) as failed:
        await asyncio.to_thread(run_cli, "revoke-key", "sk_unknown", database_url=url)
    assert failed.value.returncode == 1
    assert "no API key" in failed.value.stderr


def test_serve_prints_a_key_and_serves(tmp_path: Path) -> None:
    port = free_port()
    server = start_serve(database_url=f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}", port=port)
    try:
        lines = [printed_line(server) for _ in range(2)]
        key = lines[1].strip()
        assert KEY.match(key), lines
        base = f"http://127.0.0.1:{port}"
        wait_until_healthy(base, server)
        created = httpx.post(
            f"{base}/v1/participants",
            json={"external_id": "user_abc123"},
            headers={"X-API-Key": key},
        )
        assert created.status_code == 201
        found = httpx.post(
            f"{base}/graphql",
            json={"query": '{ participant(externalId: "user_abc123") { id } }'},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert found.json()["data"]["participant"]["id"] == created.json()["id"]
    finally:
        # It must not hang on aiosqlite's threads.
        assert stop(server) in (0, -15)


async def test_check_ledger(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'ledger.db'}"
    key = (await asyncio.to_thread(run_cli, "create-key", "--org", "acme", database_url=url)).stdout
    app = create_app(Settings(database_url=url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        headers = {"X-API-Key": key.strip()}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://t", headers=headers
        ) as c:
            program = (await c.post("/v1/programs", json={"name": "P"})).json()["id"]
            asset = (
                await c.post(
                    "/v1/assets",
                    json={
                        "program_id": program,
                        "name": "Points",
                        "symbol": "PTS",
                        "inventory_mode": "SIMPLE",
                        "issuance_policy": "UNLIMITED",
                        "scale": 0,
                    },
                )
            ).json()["id"]
            person = (await c.post("/v1/participants", json={"external_id": "a"})).json()["id"]
            credit = {"program_id": program, "asset_id": asset, "type": "CREDIT", "amount": "7"}
            adjusted = await c.post(
                f"/v1/participants/{person}/balances/adjust",
                json={**credit, "description": "hi"},
            )
            assert adjusted.status_code == 200, adjusted.text
    checked = await asyncio.to_thread(run_cli, "check-ledger", database_url=url)
    assert checked.stdout.strip() == "ledger: ok"
    path = tmp_path / "ledger.db"
    with sqlite3.connect(path) as tampered:  # behind the app's back
        tampered.execute("UPDATE balances SET available = '8'")
    with pytest.raises(subprocess.CalledProcessError) as failed:
        await asyncio.to_thread(run_cli, "check-ledger", database_url=url)
    assert failed.value.returncode == 1
    assert "not the sum of its postings" in failed.value.stderr
