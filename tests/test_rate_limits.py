"""Per-organization rate limits (issue 5): in this process, and shared through Redis."""

from __future__ import annotations

import asyncio
import math
import os
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest
from redis.asyncio import Redis
from starlette.applications import Starlette

from app.core.config import Settings
from app.main import create_app
from app.ratelimit import InProcessLimiter, RedisLimiter
from app.services.auth import issue_key

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REQUIRE_REDIS = os.environ.get("REQUIRE_REDIS") == "1"


@asynccontextmanager
async def _client(settings: Settings) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield application, client


async def _redis_or_skip() -> None:
    redis = Redis.from_url(REDIS_URL)
    try:
        await redis.ping()
    except OSError as exc:
        if REQUIRE_REDIS:
            pytest.fail(f"Redis is required but unreachable at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis unreachable at {REDIS_URL}: {exc}")
    finally:
        await redis.aclose()


@dataclass
class Limited:
    client: httpx.AsyncClient
    key: str
    same_org_key: str
    other_org_key: str


@pytest.fixture(params=["in-process", "redis"])
async def limited(request: pytest.FixtureRequest, database_url: str) -> AsyncIterator[Limited]:
    """An app limited to burst 3 at 1/s, with two keys of one organization and one of another."""
    redis_url = None
    if request.param == "redis":
        await _redis_or_skip()
        redis_url = REDIS_URL
    settings = Settings(
        database_url=database_url,
        rate_limit_per_second=1.0,
        rate_limit_burst=3,
        redis_url=redis_url,
    )
    async with _client(settings) as (application, client):
        db = application.state.db
        name = f"rl-{uuid.uuid4().hex}"
        one, same = [await issue_key(db, organization_name=name) for _ in range(2)]
        other = await issue_key(db, organization_name=f"rl-{uuid.uuid4().hex}")
        yield Limited(client, one.key, same.key, other.key)


async def test_burst_then_429_with_headers(limited: Limited) -> None:
    client, other = limited.client, limited.other_org_key
    headers = {"X-API-Key": limited.key}
    seen = []
    for _ in range(3):
        response = await client.get("/v1/participants", headers=headers)
        assert response.status_code == 200
        assert response.headers["X-RateLimit-Limit"] == "3"
        assert "Retry-After" not in response.headers
        seen.append(int(response.headers["X-RateLimit-Remaining"]))
    assert seen == [2, 1, 0]
    refused = await client.post("/v1/participants", json={"external_id": "x"}, headers=headers)
    assert refused.status_code == 429
    assert refused.json()["code"] == "too_many_requests"
    assert refused.headers["Retry-After"] == "1"
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert int(refused.headers["X-RateLimit-Reset"]) >= math.floor(time.time())
    gql = await client.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
    assert gql.status_code == 429
    assert gql.json()["code"] == "too_many_requests"
    # another organization has its own bucket
    other_response = await client.get("/v1/participants", headers={"X-API-Key": other})
    assert other_response.status_code == 200
    assert other_response.headers["X-RateLimit-Remaining"] == "2"


async def test_keys_of_one_organization_share_a_bucket_that_refills(limited: Limited) -> None:
    async def status(key: str) -> int:
        response = await limited.client.get("/v1/participants", headers={"X-API-Key": key})
        return response.status_code

    codes = [await status(key) for key in (limited.key, limited.same_org_key, limited.key)]
    assert codes == [200, 200, 200]
    assert await status(limited.same_org_key) == 429
    await asyncio.sleep(1.05)  # one token back at 1/s
    assert await status(limited.same_org_key) == 200
    assert await status(limited.key) == 429


async def test_unauthenticated_requests_carry_no_rate_headers(limited: Limited) -> None:
    response = await limited.client.get("/v1/participants")
    assert response.status_code == 401
    assert "X-RateLimit-Limit" not in response.headers


async def test_workers_share_buckets_through_redis(database_url: str) -> None:
    await _redis_or_skip()
    settings = Settings(
        database_url=database_url,
        rate_limit_per_second=0.5,
        rate_limit_burst=4,
        redis_url=REDIS_URL,
    )
    async with _client(settings) as (app_a, first), _client(settings) as (_, second):
        key = (await issue_key(app_a.state.db, organization_name=f"rl-{uuid.uuid4().hex}")).key
        codes = [
            (await client.get("/v1/participants", headers={"X-API-Key": key})).status_code
            for client in (first, second, first, second, first)
        ]
    assert codes == [200, 200, 200, 200, 429]


async def test_without_redis_each_process_counts_alone(database_url: str) -> None:
    settings = Settings(database_url=database_url, rate_limit_per_second=0.5, rate_limit_burst=2)
    async with _client(settings) as (app_a, first), _client(settings) as (_, second):
        key = (await issue_key(app_a.state.db, organization_name=f"rl-{uuid.uuid4().hex}")).key
        codes = [
            (await client.get("/v1/participants", headers={"X-API-Key": key})).status_code
            for client in (first, first, second, second, first)
        ]
    assert codes == [200, 200, 200, 200, 429]


async def test_off_by_default(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await client.get("/v1/participants", headers=headers)
    assert "X-RateLimit-Limit" not in response.headers


async def test_an_unreachable_redis_lets_requests_through() -> None:
    limiter = RedisLimiter("redis://127.0.0.1:1/0", rate=1, burst=1, retry_after_failure=60)
    try:
        first = await limiter.take(uuid.uuid4())
        started = time.monotonic()
        later = [await limiter.take(uuid.uuid4()) for _ in range(20)]
    finally:
        await limiter.close()
    assert first.allowed
    assert all(d.allowed for d in later)
    assert time.monotonic() - started < 0.1  # not tried again: no connection timeouts


async def test_in_process_buckets_are_bounded() -> None:
    limiter = InProcessLimiter(rate=1, burst=1, max_buckets=10)
    for _ in range(50):
        await limiter.take(uuid.uuid4())
    assert len(limiter._buckets) == 10
