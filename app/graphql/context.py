"""The per-request GraphQL context: who is calling, the database, and fresh DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response
from strawberry.types import Info as StrawberryInfo

from app.core.db import Database
from app.graphql.loaders import Loaders
from app.graphql.pagination import NodeBudget
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
    #: The request's time (the app's clock): what writes are stamped with and reads see.
    now: datetime
    #: Connection nodes this request may still ask for (see `NodeBudget`).
    nodes: NodeBudget


Info = StrawberryInfo[Context, None]
