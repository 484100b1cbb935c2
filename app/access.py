"""Request-level authentication, shared by the REST and GraphQL faces (CONTRACT §2)."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from app.core.db import Database
from app.core.responses import JSONResponse, error_response
from app.core.security import api_key_from_headers
from app.services.auth import Principal, authenticate

__all__ = ["Unauthorized", "database", "require_principal", "unauthorized_response"]


class Unauthorized(Exception):
    """No key, or a key that is unknown or revoked."""


def database(conn: HTTPConnection) -> Database:
    db: Database = conn.app.state.db
    return db


async def require_principal(conn: HTTPConnection) -> Principal:
    key = api_key_from_headers(conn.headers)
    if key is None:
        raise Unauthorized("missing API key: send it as X-API-Key or Authorization: Bearer")
    principal = await authenticate(database(conn), key)
    if principal is None:
        raise Unauthorized("invalid or revoked API key")
    return principal


def unauthorized_response(exc: Unauthorized) -> JSONResponse:
    return error_response(
        401, "unauthorized", str(exc), headers={"WWW-Authenticate": 'Bearer realm="api"'}
    )
