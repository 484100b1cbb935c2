"""The per-request GraphQL context: who is calling, the database, and fresh DataLoaders."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from strawberry.extensions import SchemaExtension
from strawberry.types import Info as StrawberryInfo

from app.access import actor
from app.core.db import Database
from app.graphql.loaders import Loaders
from app.graphql.pagination import NodeBudget
from app.services.actor import Actor
from app.services.auth import Principal
from app.services.cursors import CursorCodec

__all__ = ["Context", "Info", "ReleaseLoaders"]


@dataclass(frozen=True, slots=True)
class Context:
    request: Request
    response: Response
    db: Database
    principal: Principal
    loaders: Loaders
    cursor_codec: CursorCodec
    #: Connection nodes this request may still ask for (see `NodeBudget`).
    nodes: NodeBudget

    def actor(self) -> Actor:
        """Who writes, and when, for the service layer (the same as a REST request's)."""
        return actor(self.request, self.principal)


Info = StrawberryInfo[Context, None]


class ReleaseLoaders(SchemaExtension):
    """Empty the request's loaders once its operation has run.

    graphql-core's executor refers to itself through its `async_helpers`, so it, the context and
    everything the loaders hold (a page's ~1,000 rows and lists) would wait for the garbage
    collector, which then spends milliseconds on them every few requests. Emptied here, they
    are freed at once.
    """

    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context.context
        if isinstance(context, Context):
            context.loaders.release()
