"""Reading a JSON request body: size-limited, JSON-only, an object at the top."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

__all__ = ["BadBody", "read_json_object"]


class BadBody(Exception):
    def __init__(self, status_code: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message


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
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(max_bytes)
        chunks.append(chunk)
    try:
        data = orjson.loads(b"".join(chunks))
    except orjson.JSONDecodeError as exc:
        raise BadBody(400, "bad_request", f"the body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadBody(400, "bad_request", "the body must be a JSON object")
    return data


def _too_large(max_bytes: int) -> BadBody:
    return BadBody(413, "payload_too_large", f"the body must be at most {max_bytes} bytes")
