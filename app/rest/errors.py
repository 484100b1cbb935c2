"""Exceptions → the REST error envelope (CONTRACT §5)."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.access import RateLimited, Unauthorized, rate_limited_response, unauthorized_response
from app.core.db import UNAVAILABLE, is_unavailable
from app.core.request_body import BadBody
from app.core.request_id import current_request_id
from app.core.responses import error_response
from app.services.errors import FieldPath, NotFound, Rejected, ValidationFailed

__all__ = ["CatchUnexpected", "exception_handlers", "field_name"]

logger = logging.getLogger("app.rest")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def field_name(path: FieldPath) -> str:
    """("attributes", "plan") → "attributes.plan"; ("tags", 3) → "tags[3]"."""
    name = ""
    for part in path:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else part)
    return name


async def _validation_failed(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, ValidationFailed)
    fields = [
        {"field": field_name(e.path), "reason": e.reason, "message": e.message} for e in exc.errors
    ]
    return error_response(
        400, "bad_request", "Invalid request parameters", details={"fields": fields}
    )


async def _bad_body(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, BadBody)
    return error_response(exc.status_code, exc.code, exc.message, details={"fields": []})


async def _unauthorized(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, Unauthorized)
    return unauthorized_response(exc)


async def _rate_limited(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RateLimited)
    return rate_limited_response(exc)


async def _not_found(_: Request, exc: Exception) -> Response:
    return error_response(404, "not_found", str(exc) or "not found")


async def _rejected(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, Rejected)
    fields = [{"field": field_name(exc.field), "reason": exc.code, "message": str(exc)}]
    return error_response(
        exc.status, exc.code, str(exc), details={"fields": fields if exc.field else []}
    )


async def _http_exception(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "error")
    return error_response(exc.status_code, code, exc.detail, headers=exc.headers)


async def _unavailable(request: Request, exc: Exception) -> Response:
    # The database is down, unreachable, or busy past its timeout: the caller should retry.
    if not is_unavailable(exc):  # e.g. SQLite's OperationalError for "no such column": a bug
        return _internal_error(request, exc)
    logger.warning(
        "database unavailable on %s %s: %s", request.method, request.url.path, type(exc).__name__
    )
    return error_response(
        503,
        "service_unavailable",
        "The database is not available right now; retry shortly.",
        headers={"Retry-After": "1"},
    )


def _internal_error_body() -> Response:
    return error_response(
        500,
        "internal_error",
        "An unexpected error occurred.",
        details={"request_id": current_request_id()},
    )


def _internal_error(request: Request, exc: Exception) -> Response:
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _internal_error_body()


class CatchUnexpected:
    """Any exception no handler took: logged (redacted, with the request id) and answered 500.

    Starlette's own last-resort handler re-raises for the server to log, which would write the
    unredacted traceback; this middleware sits inside it and does not.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except ClientDisconnect:
            # The caller left before its body arrived: nothing was written, nobody to answer.
            logger.info("client disconnected during %s %s", scope["method"], scope["path"])
        except Exception as exc:
            logger.error("unhandled error on %s %s", scope["method"], scope["path"], exc_info=exc)
            if started:  # too late for a 500; the connection is cut short instead
                return
            await _internal_error_body()(scope, receive, send)


exception_handlers = {
    ValidationFailed: _validation_failed,
    BadBody: _bad_body,
    Unauthorized: _unauthorized,
    RateLimited: _rate_limited,
    NotFound: _not_found,
    Rejected: _rejected,
    HTTPException: _http_exception,
    **dict.fromkeys(UNAVAILABLE, _unavailable),
}
