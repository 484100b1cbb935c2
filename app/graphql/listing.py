"""`Query.participants`: a Relay-style connection over the shared listing service."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import strawberry
from strawberry.types.base import get_object_definition
from strawberry.types.nodes import Selection
from strawberry.utils.str_converters import to_camel_case

from app import models
from app.graphql.context import Info
from app.graphql.lazy import Lazy, lazy_field
from app.graphql.pagination import PageInfo, argument_error
from app.graphql.prefetch import (
    page_node_selections,
    prefetch_participant_fields,
    selected_names,
    state_kinds,
)
from app.graphql.types import Participant, ParticipantStatus
from app.services import participant_listing as listing
from app.services.errors import ValidationFailed

__all__ = [
    "OrderDirection",
    "ParticipantConnection",
    "connection_of",
    "resolve_participants",
]

ParticipantOrderField = strawberry.enum(
    listing.SortField,
    name="ParticipantOrderField",
    description="STATUS orders by status, then by creation time.",
)
OrderDirection = strawberry.enum(listing.SortDirection, name="OrderDirection")


@strawberry.input(description="All given conditions must hold.")
class ParticipantFilter:
    external_id: str | None = strawberry.field(default=None, description="Exact match.")
    status: ParticipantStatus | None = None  # type: ignore[valid-type]
    program_id: uuid.UUID | None = strawberry.field(
        default=None, description="Actively enrolled in this program."
    )
    search: str | None = strawberry.field(
        default=None,
        description="Case-insensitive substring of externalId, email, phone or a name field.",
    )
    created_from: datetime | None = strawberry.field(default=None, description="Inclusive.")
    created_to: datetime | None = strawberry.field(default=None, description="Exclusive.")


@strawberry.input
class ParticipantOrder:
    field: ParticipantOrderField = listing.SortField.CREATED_AT  # type: ignore[valid-type]
    direction: OrderDirection = listing.SortDirection.DESC  # type: ignore[valid-type]


@strawberry.type
class ParticipantEdge:
    #: Answered with the page's row itself (`ParticipantRow`), as Balance is with its row: a
    #: row carries every Participant field by name, and the lazy fields' resolvers read only
    #: its `id` (tests/graphql/test_state_views.py holds the names together).
    node: Participant
    #: The page's cursors; this edge's is signed only if the query asks for it.
    cursors: strawberry.Private[Sequence[str]]
    index: strawberry.Private[int]

    @lazy_field(str)
    def cursor(self, info: Info) -> Lazy[str]:
        return self.cursors[self.index]


@strawberry.type
class ParticipantConnection:
    edges: list[ParticipantEdge]
    page_info: PageInfo


async def resolve_participants(
    info: Info,
    first: int | None = listing.DEFAULT_PAGE_SIZE,
    after: str | None = None,
    filter: ParticipantFilter | None = None,
    order_by: ParticipantOrder | None = None,
) -> ParticipantConnection:
    given = filter or ParticipantFilter()
    order = order_by or ParticipantOrder()
    info.context.nodes.spend(first)
    node = page_node_selections(info)
    kinds = state_kinds(node)
    try:
        page = await listing.list_participants(
            info.context.db,
            info.context.cursor_codec,
            organization_id=info.context.principal.organization_id,
            filter=listing.ParticipantFilter.taken_from(given),
            sort=order.field,
            direction=order.direction,
            limit=listing.DEFAULT_PAGE_SIZE if first is None else first,
            after=after,
            unread=_unread_columns(node),
            state=kinds,
        )
    except ValidationFailed as exc:
        raise argument_error(exc) from None
    await prefetch_participant_fields(
        info.context.loaders, [row.id for row in page.participants], node, kinds, page.state
    )
    return connection_of(page)


#: The column behind each plain Participant field, by GraphQL name.
_COLUMN_OF_FIELD = {
    field.graphql_name or to_camel_case(field.python_name): field.python_name
    for field in get_object_definition(Participant, strict=True).fields
    if field.base_resolver is None
}
_COLUMNS = frozenset(column.name for column in models.Participant.__table__.c)  # type: ignore[attr-defined]


def _unread_columns(node: Sequence[Selection]) -> frozenset[str]:
    """The columns no selected field of the page's nodes shows: the page leaves them unread
    (a value not read costs nothing to convert; JSON and timestamps cost the most)."""
    asked = selected_names(node)
    return _COLUMNS - {_COLUMN_OF_FIELD[name] for name in asked if name in _COLUMN_OF_FIELD}


def connection_of(page: listing.ParticipantPage) -> ParticipantConnection:
    return ParticipantConnection(
        edges=[
            ParticipantEdge(node=row, cursors=page.cursors, index=index)  # type: ignore[arg-type]
            for index, row in enumerate(page.participants)
        ],
        page_info=PageInfo(has_next_page=page.has_more, end_cursor=page.end_cursor),
    )
