"""`python -m app create-key` and `python -m app serve`, as real processes."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.helpers import discard_database, fresh_database_url

ROOT = Path(__file__).resolve().parent.parent
KEY = re.compile(r"^sk_[A-Za-z0-9_-]{32,}$")


def _run(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
async def test_create_key_prints_the_key_alone(kind: str, tmp_path: Path) -> None:
    url = await fresh_database_url(kind, tmp_path)
    try:
        first = await asyncio.to_thread(_run, "create-key", "--org", "acme", database_url=url)
        second = await asyncio.to_thread(_run, "create-key", "--org", "acme", database_url=url)
        keys = [first.stdout.removesuffix("\n"), second.stdout.removesuffix("\n")]
        assert all(KEY.match(key) for key in keys), keys
        assert keys[0] != keys[1]
    finally:
        await discard_database(url)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_serve_prints_a_key_and_serves(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}",
        "PORT": str(port),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "app", "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        lines = [server.stdout.readline() for _ in range(2)]
        key = lines[1].strip()
        assert KEY.match(key), lines
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server did not come up"
            time.sleep(0.1)
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
        server.terminate()
        # uvicorn shuts down gracefully, then re-raises SIGTERM. It must not hang on
        # aiosqlite's threads.
        assert server.wait(timeout=20) in (0, -15)
