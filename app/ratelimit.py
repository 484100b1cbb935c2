"""Per-organization rate limits: a token bucket, in this process or shared through Redis.

Every key of an organization draws from one bucket holding up to `burst` tokens, refilled at `rate`
tokens per second; a request takes one token or is refused with 429 (Scrip's defaults would be
rate 10, burst 30; ours are off unless `RATE_LIMIT_PER_SECOND` is set). With `REDIS_URL`, all
workers share the buckets (an atomic Lua script on Redis's clock). When Redis cannot be reached
the request is let through and a warning is logged: losing the limiter must not take the API down.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.core.config import Settings

__all__ = ["Decision", "InProcessLimiter", "RateLimiter", "RedisLimiter", "create_limiter"]

logger = logging.getLogger("app.ratelimit")


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    #: Unix seconds when the bucket is full again.
    reset_at: int
    #: Seconds until one token is available (0 when allowed).
    retry_after: int

    def headers(self) -> dict[str, str]:
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_at),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers


class RateLimiter(Protocol):
    async def take(self, organization_id: uuid.UUID) -> Decision: ...

    async def close(self) -> None: ...


def _decide(tokens: float, now: float, *, rate: float, burst: int) -> Decision:
    """The answer for a bucket holding `tokens` after this request's attempt to take one."""
    allowed = tokens >= 0
    held = max(tokens, 0.0)
    return Decision(
        allowed=allowed,
        limit=burst,
        remaining=math.floor(held),
        reset_at=math.ceil(now + (burst - held) / rate),
        retry_after=0 if allowed else max(1, math.ceil(-tokens / rate)),
    )


class InProcessLimiter:
    """Buckets in this process's memory (bounded: least recently seen organizations go first)."""

    def __init__(self, *, rate: float, burst: int, max_buckets: int = 100_000) -> None:
        self.rate, self.burst, self.max_buckets = rate, burst, max_buckets
        self._buckets: OrderedDict[uuid.UUID, tuple[float, float]] = OrderedDict()

    async def take(self, organization_id: uuid.UUID) -> Decision:
        now = time.monotonic()  # refills never run backwards when the wall clock is set back
        tokens, seen = self._buckets.pop(organization_id, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - seen) * self.rate) - 1
        decision = _decide(tokens, time.time(), rate=self.rate, burst=self.burst)
        # A refused request takes nothing: keep the bucket as it was before the attempt.
        self._buckets[organization_id] = (tokens if decision.allowed else tokens + 1, now)
        if len(self._buckets) > self.max_buckets:
            self._buckets.popitem(last=False)
        return decision

    async def close(self) -> None:
        return None


# KEYS[1] bucket; ARGV rate, burst. Returns {tokens after the attempt (string), now (string)}.
_TAKE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate) - 1
local kept = tokens
if tokens < 0 then kept = tokens + 1 end
redis.call('HSET', KEYS[1], 'tokens', tostring(kept), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return {tostring(tokens), tostring(now)}
"""


class RedisLimiter:
    """Buckets in Redis, shared by every worker that points at the same server and prefix.

    After Redis fails, requests pass unlimited for `retry_after_failure` seconds without trying
    it, so an outage costs one warning and one timeout per period, not per request.
    """

    def __init__(
        self,
        url: str,
        *,
        rate: float,
        burst: int,
        prefix: str = "ratelimit",
        retry_after_failure: float = 5.0,
    ) -> None:
        self.rate, self.burst, self.prefix = rate, burst, prefix
        self.retry_after_failure = retry_after_failure
        self._redis = Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._take = self._redis.register_script(_TAKE)
        self._skip_until = 0.0

    async def take(self, organization_id: uuid.UUID) -> Decision:
        if time.monotonic() < self._skip_until:
            return self._unlimited()
        try:
            tokens, now = await self._take(
                keys=[f"{self.prefix}:{organization_id}"], args=[self.rate, self.burst]
            )
        except (RedisError, OSError) as exc:
            self._skip_until = time.monotonic() + self.retry_after_failure
            logger.warning(
                "rate limiter unavailable for the next %g s, letting requests through: %s",
                self.retry_after_failure,
                exc,
            )
            return self._unlimited()
        return _decide(float(tokens), float(now), rate=self.rate, burst=self.burst)

    def _unlimited(self) -> Decision:
        return Decision(True, self.burst, self.burst, math.ceil(time.time()), 0)

    async def close(self) -> None:
        await self._redis.aclose()


def create_limiter(settings: Settings) -> RateLimiter | None:
    """The limiter the settings ask for; None when rate limiting is off."""
    if settings.rate_limit_per_second <= 0:
        return None
    if settings.rate_limit_burst < 1:
        raise ValueError("RATE_LIMIT_BURST must be at least 1 when RATE_LIMIT_PER_SECOND is set")
    rate, burst = settings.rate_limit_per_second, settings.rate_limit_burst
    if settings.redis_url:
        return RedisLimiter(settings.redis_url, rate=rate, burst=burst)
    return InProcessLimiter(rate=rate, burst=burst)
