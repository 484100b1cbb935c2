"""`/graphql`: GraphiQL for browsers without a key; every operation needs one (CONTRACT §2)."""

from __future__ import annotations

import json

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send
from strawberry.asgi import GraphQL

from app.access import (
    RateLimited,
    Unauthorized,
    database,
    now,
    rate_limited_response,
    require_principal,
    unauthorized_response,
)
from app.core.request_body import BadBody, read_limited
from app.core.responses import error_response
from app.graphql.context import Context
from app.graphql.loaders import Loaders
from app.graphql.pagination import NodeBudget
from app.graphql.schema import Schema

__all__ = ["GraphQLApp"]


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands out the already-read body, then defers to the real one."""
    pending = True

    async def replay() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class GraphQLApp(GraphQL[Context, None]):
    def __init__(self, schema: Schema, *, ide: bool = True, max_body_bytes: int) -> None:
        super().__init__(schema, graphql_ide="graphiql" if ide else None)
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope, receive)
            if self.graphql_ide is not None and self.should_render_graphql_ide(
                self.request_adapter_class(request)
            ):
                await (await self.render_graphql_ide(request))(scope, receive, send)
                return
            try:
                request.state.principal = await require_principal(request)
                body = await read_limited(request, max_bytes=self.max_body_bytes)
            except Unauthorized as exc:
                await unauthorized_response(exc)(scope, receive, send)
                return
            except RateLimited as exc:
                await rate_limited_response(exc)(scope, receive, send)
                return
            except BadBody as exc:
                await error_response(exc.status_code, exc.code, exc.message)(scope, receive, send)
                return
            receive = _replay(body, receive)
        await super().__call__(scope, receive, send)

    async def get_context(self, request: Request, response: Response) -> Context:  # type: ignore[override]
        db = database(request)
        principal = request.state.principal
        codec = request.app.state.cursor_codec
        moment = now(request)
        return Context(
            request=request,
            response=response,
            db=db,
            principal=principal,
            loaders=Loaders.create(db, principal.organization_id, codec, moment),
            cursor_codec=codec,
            nodes=NodeBudget(request.app.state.settings.graphql_max_nodes),
        )

    def decode_json(self, data: str | bytes) -> object:
        value = orjson.loads(data)
        if not isinstance(value, dict | list):  # a list is refused later: batching is off
            # Strawberry answers this with a 400, as for any body that is not JSON.
            raise json.JSONDecodeError("the body must be a JSON object", str(data), 0)
        return value

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)
