"""Reading a JSON request body: size-limited, JSON-only, an object at the top."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

from app.core.request_body import BadBody, read_limited

__all__ = ["BadBody", "json_body", "read_json_object"]


def _is_json(content_type: str) -> bool:
    media_type = content_type.partition(";")[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


async def read_json_object(request: Request, *, max_bytes: int) -> dict[str, Any]:
    """The body as a dict. No Content-Type is read as JSON; any other non-JSON type is a 415."""
    content_type = request.headers.get("content-type")
    if content_type is not None and not _is_json(content_type):
        raise BadBody(415, "unsupported_media_type", "send the body as application/json")
    body = await read_limited(request, max_bytes=max_bytes)
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadBody(400, "bad_request", f"the body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadBody(400, "bad_request", "the body must be a JSON object")
    return data


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object, held to the app's body size limit (`MAX_BODY_BYTES`)."""
    return await read_json_object(request, max_bytes=request.app.state.settings.max_body_bytes)
