"""A client that disconnects mid-request (issue 5) leaves nothing half-written behind."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers import discard_database, fresh_database_url
from tests.servers import free_port, printed_line, start_serve, stop, wait_until_healthy


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    directory: Path = tmp_path_factory.mktemp("disconnects")
    url = asyncio.run(fresh_database_url(request.param, directory))
    port = free_port()
    server = start_serve(database_url=url, port=port)
    try:
        key = [printed_line(server) for _ in range(2)][1].strip()
        base = f"http://127.0.0.1:{port}"
        wait_until_healthy(base, server)
        yield base, key
    finally:
        stop(server)
        asyncio.run(discard_database(url))


def _send_and_hang_up(base: str, key: str, body: bytes, *, declared: int) -> None:
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        head = (
            f"POST /v1/participants HTTP/1.1\r\nHost: {host}\r\nX-API-Key: {key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {declared}\r\n\r\n"
        ).encode()
        sock.sendall(head + body)
    # closed here: the server sees the connection go away


BODY = {
    "external_id": "",
    "email": "left@example.com",
    "attributes": {"a": "1", "b": "2"},
    "tags": ["x", "y"],
}


async def test_a_body_cut_short_writes_nothing(served: tuple[str, str]) -> None:
    base, key = served
    body = json.dumps({**BODY, "external_id": "cut-short"}).encode()
    await asyncio.to_thread(
        _send_and_hang_up, base, key, body[: len(body) // 2], declared=len(body)
    )
    await asyncio.sleep(0.3)
    async with httpx.AsyncClient(base_url=base, headers={"X-API-Key": key}) as client:
        found = await client.get("/v1/participants", params={"external_id": "cut-short"})
        assert found.json()["data"] == []
        assert (await client.get("/healthz")).status_code == 200  # and the server is fine


async def test_hanging_up_after_the_body_leaves_all_or_nothing(served: tuple[str, str]) -> None:
    base, key = served
    for attempt in range(10):
        external_id = f"gone-{attempt}"
        body = json.dumps({**BODY, "external_id": external_id}).encode()
        await asyncio.to_thread(_send_and_hang_up, base, key, body, declared=len(body))
    await asyncio.sleep(0.5)
    async with httpx.AsyncClient(base_url=base, headers={"X-API-Key": key}) as client:
        for attempt in range(10):
            found = await client.get("/v1/participants", params={"external_id": f"gone-{attempt}"})
            for participant in found.json()["data"]:  # written whole, or not at all
                detail = await client.get(f"/v1/participants/{participant['id']}")
                assert detail.json()["attributes"] == BODY["attributes"]
                assert detail.json()["tags"] == BODY["tags"]
                assert detail.json()["email"] == BODY["email"]
