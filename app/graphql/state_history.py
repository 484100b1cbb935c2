"""`Participant.stateHistory`: a participant's state changes as a connection, batched across
participants (one statement for a page of participants)."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from app import models
from app.crud import HistoryFilter
from app.graphql.context import Info
from app.graphql.pagination import PageInfo, argument_error
from app.services import state_history
from app.services.errors import ValidationFailed

__all__ = ["StateChange", "StateChangeConnection", "StateHistoryFilter", "resolve_state_history"]

StateType = strawberry.enum(
    models.StateType, name="StateType", description="What kind of state changed."
)
StateOperation = strawberry.enum(
    models.StateOperation,
    name="StateOperation",
    description="SET and DELETE for attributes, counters and tiers; ADD and REMOVE for tags; "
    "AUTO_RESET when a counter's period ran out.",
)


@strawberry.type(description="One change to a participant's tags, attributes, counters or tiers.")
class StateChange:
    id: uuid.UUID = strawberry.field(description="Ids sort in the order changes were made.")
    state_type: StateType = strawberry.field(description="Tag, attribute, counter or tier.")  # type: ignore[valid-type]
    key: str = strawberry.field(description="The tag, attribute key, counter key or tier key.")
    operation: StateOperation = strawberry.field(description="What happened to it.")  # type: ignore[valid-type]
    old_value: str | None = strawberry.field(description="Before the change (null: absent).")
    new_value: str | None = strawberry.field(description="After the change (null: absent).")
    program_id: uuid.UUID | None = strawberry.field(description="For tier changes.")
    changed_at: datetime = strawberry.field(description="When it changed (UTC).")
    changed_by_api_key_id: uuid.UUID | None = strawberry.field(
        description="The API key whose request made the change."
    )

    @classmethod
    def from_model(cls, row: models.StateChange) -> StateChange:
        return cls(
            id=row.id,
            state_type=row.state_type,
            key=row.key,
            operation=row.operation,
            old_value=row.old_value,
            new_value=row.new_value,
            program_id=row.program_id,
            changed_at=row.changed_at,
            changed_by_api_key_id=row.changed_by_api_key_id,
        )


@strawberry.type(description="A state change and the cursor of the page after it.")
class StateChangeEdge:
    cursor: str = strawberry.field(description="Pass as `after` for the changes after this one.")
    node: StateChange = strawberry.field(description="The change.")


@strawberry.type(description="State changes, newest first.")
class StateChangeConnection:
    edges: list[StateChangeEdge] = strawberry.field(description="This page's changes.")
    page_info: PageInfo = strawberry.field(description="Whether more follow, and from where.")


@strawberry.input(description="All given conditions must hold.")
class StateHistoryFilter:
    state_type: StateType | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Only this kind of state."
    )
    key: str | None = strawberry.field(default=None, description="Exact key.")
    program_id: uuid.UUID | None = strawberry.field(default=None, description="Tier changes of it.")
    operation: StateOperation | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Only this operation."
    )
    changed_from: datetime | None = strawberry.field(default=None, description="Inclusive.")
    changed_to: datetime | None = strawberry.field(default=None, description="Exclusive.")


async def resolve_state_history(
    info: Info,
    participant_id: uuid.UUID,
    first: int,
    after: str | None,
    filter: StateHistoryFilter | None,
) -> StateChangeConnection:
    given = filter or StateHistoryFilter()
    wanted = HistoryFilter(
        state_type=given.state_type,
        key=given.key,
        program_id=given.program_id,
        operation=given.operation,
        changed_from=given.changed_from,
        changed_to=given.changed_to,
    )
    try:
        position = state_history.history_position(
            info.context.cursor_codec, filter=wanted, limit=first, after=after
        )
    except ValidationFailed as exc:
        raise argument_error(exc) from None
    info.context.nodes.spend(first)
    page = await info.context.loaders.state_history.load((participant_id, first, position, wanted))
    return StateChangeConnection(
        edges=[
            StateChangeEdge(cursor=cursor, node=StateChange.from_model(row))
            for row, cursor in zip(page.items, page.cursors, strict=True)
        ],
        page_info=PageInfo(has_next_page=page.has_more, end_cursor=page.end_cursor),
    )
