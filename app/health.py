"""`GET /healthz`: for load balancers and `scripts/serve`; needs no key."""

from __future__ import annotations

import asyncio
import logging

from starlette.requests import Request
from starlette.responses import Response

from app.access import database
from app.core.responses import JSONResponse, error_response

__all__ = ["healthz"]

logger = logging.getLogger("app.health")

_TIMEOUT_S = 2.0


async def healthz(request: Request) -> Response:
    try:
        await asyncio.wait_for(database(request).ping(), timeout=_TIMEOUT_S)
    except Exception as exc:  # any failure to answer means "not healthy"
        logger.warning("health check failed: %r", exc)
        return error_response(
            503,
            "service_unavailable",
            "the database is not answering",
            headers={"Retry-After": "1"},
        )
    return JSONResponse({"status": "ok"})
