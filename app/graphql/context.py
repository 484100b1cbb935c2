"""The per-request GraphQL context: who is calling, the database, and fresh DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from strawberry.types import Info as StrawberryInfo

from app.access import actor
from app.core.db import Database
from app.graphql.loaders import Loaders
from app.graphql.pagination import NodeBudget
from app.services.actor import Actor
from app.services.auth import Principal
from app.services.cursors import CursorCodec

__all__ = ["Context", "Info"]


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
