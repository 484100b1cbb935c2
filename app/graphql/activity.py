"""`Participant.activity`: the postings on a participant's accounts as a connection, batched
across participants (one statement for a page of participants)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

import strawberry

from app import models
from app.graphql.context import Info
from app.graphql.pagination import PageInfo, argument_error
from app.services import ledger_views
from app.services.errors import ValidationFailed
from app.services.ledger_views import ActivityFilter

__all__ = [
    "ActionType",
    "ActivityConnection",
    "BalanceBucket",
    "LedgerActivityFilter",
    "resolve_activity",
]

BalanceBucket = strawberry.enum(models.Bucket, name="BalanceBucket")
ActionType = strawberry.enum(models.ActionType, name="LedgerActionType")


@strawberry.type(description="A posting on one of the participant's accounts.")
class ActivityItem:
    id: uuid.UUID
    journal_entry_id: uuid.UUID
    action_type: ActionType  # type: ignore[valid-type]
    amount: Decimal = strawberry.field(description="Signed: what it did to the bucket.")
    asset_id: uuid.UUID
    bucket: BalanceBucket  # type: ignore[valid-type]
    description: str
    created_at: datetime


@strawberry.type
class ActivityEdge:
    cursor: str
    node: ActivityItem


@strawberry.type(description="Postings on a participant's accounts, newest first.")
class ActivityConnection:
    edges: list[ActivityEdge]
    page_info: PageInfo


@strawberry.input(description="All given conditions must hold.")
class LedgerActivityFilter:
    asset_id: uuid.UUID | None = None
    bucket: BalanceBucket | None = None  # type: ignore[valid-type]
    created_from: datetime | None = strawberry.field(default=None, description="Inclusive.")
    created_to: datetime | None = strawberry.field(default=None, description="Exclusive.")


async def resolve_activity(
    info: Info,
    participant_id: uuid.UUID,
    first: int,
    after: str | None,
    filter: LedgerActivityFilter | None,
) -> ActivityConnection:
    given = filter or LedgerActivityFilter()
    wanted = ActivityFilter(
        asset_id=given.asset_id,
        bucket=given.bucket,
        changed_from=given.created_from,
        changed_to=given.created_to,
    )
    try:
        position = ledger_views.activity_position(
            info.context.cursor_codec, filter=wanted, limit=first, after=after
        )
    except ValidationFailed as exc:
        raise argument_error(exc) from None
    info.context.nodes.spend(first)
    page = await info.context.loaders.activity.load((participant_id, first, position, wanted))
    return ActivityConnection(
        edges=[
            ActivityEdge(
                cursor=cursor,
                node=ActivityItem(
                    id=posting.id,
                    journal_entry_id=entry.id,
                    action_type=entry.action_type,
                    amount=posting.amount,
                    asset_id=posting.asset_id,
                    bucket=posting.bucket,
                    description=entry.description,
                    created_at=posting.created_at,
                ),
            )
            for (posting, entry), cursor in zip(page.items, page.cursors, strict=True)
        ],
        page_info=PageInfo(has_next_page=page.has_more, end_cursor=page.end_cursor),
    )
