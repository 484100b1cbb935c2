"""Reading a request body with a size limit, before anything parses it (both faces)."""

from __future__ import annotations

from starlette.requests import Request

__all__ = ["BadBody", "read_limited"]


class BadBody(Exception):
    """A body refused before parsing: too large, wrong media type, not JSON, not an object."""

    def __init__(self, status_code: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message


async def read_limited(request: Request, *, max_bytes: int) -> bytes:
    """The whole body; 413 `payload_too_large` as soon as it is known to exceed `max_bytes`."""
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
    return b"".join(chunks)


def _too_large(max_bytes: int) -> BadBody:
    return BadBody(413, "payload_too_large", f"the body must be at most {max_bytes} bytes")
