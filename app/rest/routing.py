"""One route per path, however many methods it serves, so a 405 lists all of them in `Allow`."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.services.errors import NotFound

__all__ = ["path_id", "resource"]

Endpoint = Callable[[Request], Awaitable[Response]]


def resource(path: str, handlers: Mapping[str, Endpoint]) -> Route:
    """A route for `path` whose methods are the keys of `handlers` (HEAD follows GET)."""

    async def dispatch(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await handlers[method](request)

    return Route(path, dispatch, methods=list(handlers), name=path)


def path_id(request: Request, name: str, *, what: str) -> uuid.UUID:
    """The UUID in path parameter `name`; a malformed one is `NotFound` like any unknown id."""
    try:
        return uuid.UUID(request.path_params[name])
    except ValueError:
        raise NotFound(f"no such {what}") from None
