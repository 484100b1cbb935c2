"""Request-level authentication, shared by the REST and GraphQL faces (CONTRACT §2)."""

from __future__ import annotations

from datetime import datetime

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.db import Database
from app.core.responses import JSONResponse, error_response
from app.core.security import api_key_from_headers
from app.ratelimit import Decision, RateLimiter
from app.services.actor import Actor
from app.services.auth import Principal, authenticate

__all__ = [
    "RateLimitHeaders",
    "RateLimited",
    "Unauthorized",
    "actor",
    "database",
    "now",
    "rate_limited_response",
    "require_principal",
    "unauthorized_response",
]


class Unauthorized(Exception):
    """No key, or a key that is unknown or revoked."""


class RateLimited(Exception):
    """The organization's bucket is empty."""

    def __init__(self, decision: Decision) -> None:
        super().__init__("rate limit exceeded")
        self.decision = decision


def database(conn: HTTPConnection) -> Database:
    db: Database = conn.app.state.db
    return db


def now(conn: HTTPConnection) -> datetime:
    """The app's clock (`app.state.clock`, which tests may replace): the time a write is
    stamped with and reads are evaluated at (counter auto-reset)."""
    moment: datetime = conn.app.state.clock()
    return moment


def actor(conn: HTTPConnection, principal: Principal) -> Actor:
    """Who writes and when, for the service layer's state history."""
    return Actor.at(principal.organization_id, principal.api_key_id, conn.app.state.clock)


async def require_principal(conn: HTTPConnection) -> Principal:
    key = api_key_from_headers(conn.headers)
    if key is None:
        raise Unauthorized("missing API key: send it as X-API-Key or Authorization: Bearer")
    principal = await authenticate(database(conn), key, cache=conn.app.state.key_cache)
    if principal is None:
        raise Unauthorized("invalid or revoked API key")
    limiter: RateLimiter | None = conn.app.state.limiter
    if limiter is not None:
        decision = await limiter.take(principal.organization_id)
        conn.state.rate_limit = decision  # RateLimitHeaders puts it on the response
        if not decision.allowed:
            raise RateLimited(decision)
    return principal


def unauthorized_response(exc: Unauthorized) -> JSONResponse:
    return error_response(
        401, "unauthorized", str(exc), headers={"WWW-Authenticate": 'Bearer realm="api"'}
    )


def rate_limited_response(exc: RateLimited) -> JSONResponse:
    seconds = exc.decision.retry_after
    return error_response(429, "too_many_requests", f"rate limit exceeded; retry in {seconds} s")


class RateLimitHeaders:
    """Adds `X-RateLimit-*` (and `Retry-After` on 429) to responses of rate-limited requests."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            decision = scope.get("state", {}).get("rate_limit")
            if message["type"] == "http.response.start" and decision is not None:
                headers = MutableHeaders(scope=message)
                for name, value in decision.headers().items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
