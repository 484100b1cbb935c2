"""GraphQL object types (CONTRACT §4). Lazy fields read through the request's DataLoaders."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from app import models
from app.crud import HeldBalance, HeldCounter, HeldTier, ParticipantRow
from app.graphql.activity import ActivityConnection, LedgerActivityFilter, resolve_activity
from app.graphql.context import Info
from app.graphql.lazy import Lazy, described_field, lazy_field
from app.graphql.loaders import converted_once, now_or_later
from app.graphql.program_types import Asset, Program
from app.graphql.state_history import (
    StateChangeConnection,
    StateHistoryFilter,
    resolve_state_history,
)
from app.services.state_history import DEFAULT_HISTORY_PAGE

__all__ = [
    "Balance",
    "Counter",
    "Participant",
    "ParticipantStatus",
    "ParticipantTier",
    "UserError",
]

ParticipantStatus = strawberry.enum(models.ParticipantStatus, name="ParticipantStatus")


@strawberry.type
class UserError:
    """A problem with the input: nothing was written."""

    field: list[str] = strawberry.field(
        description='Path into the arguments, e.g. ["input", "externalId"].'
    )
    code: str = strawberry.field(
        description="required | invalid | too_long | too_short | too_many | not_found"
    )
    message: str


# Balance, Counter and ParticipantTier are answered with the rows the data layer reads
# (`HeldBalance`, `HeldCounter`, `HeldTier`), which carry every field by the same name: GraphQL
# reads fields off whatever object a resolver returns, and a page of 100 participants would
# otherwise build ~500 objects only to copy them. tests/graphql/test_state_views.py holds the
# names together.


@strawberry.type
class Balance:
    asset_id: uuid.UUID
    available: Decimal
    deferred: Decimal
    held: Decimal

    @lazy_field(Asset)
    def asset(self, info: Info) -> Lazy[Asset]:
        return now_or_later(info.context.loaders.assets, self.asset_id, Asset.existing, shared=True)


@strawberry.type
class Counter:
    key: str
    value: Decimal
    reset_after: str | None
    last_reset_at: datetime | None


@strawberry.type(description="The level a participant holds in one tier of one program.")
class ParticipantTier:
    key: str = strawberry.field(description="The tier's key.")
    level: str = strawberry.field(description="The key of the level held.")
    rank: int = strawberry.field(description="The level's rank in the tier definition.")
    program_id: uuid.UUID
    display_name: str | None = strawberry.field(description="The tier's display name.")
    level_display_name: str | None = strawberry.field(description="The level's display name.")

    @lazy_field(Program)
    def program(self, info: Info) -> Lazy[Program]:
        return now_or_later(
            info.context.loaders.program_by_id, self.program_id, Program.existing, shared=True
        )


@strawberry.type
class Participant:
    id: uuid.UUID
    external_id: str
    status: ParticipantStatus  # type: ignore[valid-type]
    email: str | None
    phone: str | None
    first_name: str | None
    last_name: str | None
    display_name: str | None
    attributes: JSON
    tags: list[str]
    created_at: datetime
    updated_at: datetime

    @lazy_field(list[uuid.UUID])
    def program_ids(self, info: Info) -> Lazy[list[uuid.UUID]]:
        return now_or_later(
            info.context.loaders.programs, self.id, lambda rows: [row.id for row in rows]
        )

    @lazy_field(list[Program])
    def programs(self, info: Info) -> Lazy[list[Program]]:
        loader = info.context.loaders.programs
        return now_or_later(
            loader,
            self.id,
            lambda rows: [converted_once(loader, row, Program.from_model) for row in rows],
        )

    # The three below answer with the rows read (see `Balance`): no object per row to build.

    @lazy_field(list[Balance])
    def balances(self, info: Info) -> Lazy[list[HeldBalance]]:
        return now_or_later(info.context.loaders.balances, self.id, list)

    @lazy_field(list[Counter])
    def counters(self, info: Info) -> Lazy[list[HeldCounter]]:
        return now_or_later(info.context.loaders.counters, self.id, list)

    @lazy_field(list[ParticipantTier])
    def tiers(self, info: Info) -> Lazy[list[HeldTier]]:
        return now_or_later(info.context.loaders.tiers, self.id, list)

    @described_field(
        "Changes to its tags, attributes, counters and tiers, newest first (first: 1-100)."
    )
    async def state_history(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description="Page size, 1-100.")] = (
            DEFAULT_HISTORY_PAGE
        ),
        after: Annotated[
            str | None, strawberry.argument(description="An endCursor of the previous page.")
        ] = None,
        filter: Annotated[
            StateHistoryFilter | None, strawberry.argument(description="All must hold.")
        ] = None,
    ) -> StateChangeConnection:
        return await resolve_state_history(info, self.id, first, after, filter)

    @described_field("Postings on its accounts (the ledger), newest first (first: 1-200).")
    async def activity(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description="Page size, 1-200.")] = 50,
        after: Annotated[
            str | None, strawberry.argument(description="An endCursor of the previous page.")
        ] = None,
        filter: Annotated[
            LedgerActivityFilter | None, strawberry.argument(description="All must hold.")
        ] = None,
    ) -> ActivityConnection:
        return await resolve_activity(info, self.id, first, after, filter)

    @classmethod
    def from_model(cls, row: ParticipantRow) -> Participant:
        return cls(
            id=row.id,
            external_id=row.external_id,
            status=row.status,
            email=row.email,
            phone=row.phone,
            first_name=row.first_name,
            last_name=row.last_name,
            display_name=row.display_name,
            attributes=JSON(row.attributes),
            tags=row.tags,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
