"""GET /healthz: 200 when the database answers, 503 when it does not."""

from __future__ import annotations

import socket

import httpx

from app.core.config import Settings
from app.main import create_app


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_unreachable_database_is_503() -> None:
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{_closed_port()}/nowhere"
    application = create_app(Settings(database_url=url))
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get("/healthz")
            assert response.status_code == 503
            assert response.json()["code"] == "service_unavailable"
            assert response.headers["retry-after"] == "1"
            unauthorized = await client.post(
                "/v1/participants",
                json={"external_id": "x"},
                headers={"X-API-Key": "sk_" + "x" * 43},
            )
            assert unauthorized.status_code == 503
            assert unauthorized.json()["code"] == "service_unavailable"
            assert unauthorized.headers["retry-after"] == "1"


async def test_healthy(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).status_code == 200
