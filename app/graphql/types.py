"""GraphQL object types (CONTRACT §4). Lazy fields read through the request's DataLoaders."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeAlias, TypeVar, cast

import strawberry
from strawberry.scalars import JSON

from app import models
from app.crud import HeldTier
from app.graphql.context import Info
from app.graphql.loaders import now_or_later

__all__ = [
    "Asset",
    "Balance",
    "Counter",
    "OnUnknownParticipant",
    "Participant",
    "ParticipantStatus",
    "ParticipantTier",
    "Program",
    "ProgramStatus",
    "UserError",
]

T = TypeVar("T")
M = TypeVar("M")
F = TypeVar("F", bound=Callable[..., Any])

#: What a lazy field's resolver returns: the value when its loader holds it already, else an
#: awaitable (see `now_or_later`).
Lazy: TypeAlias = T | Awaitable[T]


def lazy_field(graphql_type: object) -> Callable[[F], F]:
    """`@strawberry.field` for a resolver typed `Lazy[X]`: the schema shows `graphql_type`."""
    return cast(Callable[[F], F], strawberry.field(graphql_type=graphql_type))


def _each(convert: Callable[[M], T]) -> Callable[[Iterable[M]], list[T]]:
    return lambda rows: [convert(row) for row in rows]


def _existing_asset(row: models.Asset | None) -> Asset:
    if row is None:  # pragma: no cover - a foreign key guarantees the asset exists
        raise LookupError("a balance's asset is missing")
    return Asset.from_model(row)


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


ProgramStatus = strawberry.enum(models.ProgramStatus, name="ProgramStatus")
OnUnknownParticipant = strawberry.enum(
    models.OnUnknownParticipant,
    name="OnUnknownParticipant",
    description="What an event for an unknown externalId does.",
)


@strawberry.type
class Program:
    id: uuid.UUID
    name: str
    description: str | None
    status: ProgramStatus  # type: ignore[valid-type]
    on_unknown_participant: OnUnknownParticipant  # type: ignore[valid-type]
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = strawberry.field(description="Set while ARCHIVED.")

    @classmethod
    def from_model(cls, row: models.Program) -> Program:
        return cls(
            id=row.id,
            name=row.name,
            description=row.description,
            status=row.status,
            on_unknown_participant=models.OnUnknownParticipant(row.on_unknown_participant),
            created_at=row.created_at,
            updated_at=row.updated_at,
            deleted_at=row.deleted_at,
        )


@strawberry.type
class Asset:
    id: uuid.UUID
    name: str
    symbol: str
    scale: int

    @classmethod
    def from_model(cls, row: models.Asset) -> Asset:
        return cls(id=row.id, name=row.name, symbol=row.symbol, scale=row.scale)


@strawberry.type
class Balance:
    asset_id: uuid.UUID
    available: Decimal
    deferred: Decimal
    held: Decimal

    @lazy_field(Asset)
    def asset(self, info: Info) -> Lazy[Asset]:
        return now_or_later(info.context.loaders.assets, self.asset_id, _existing_asset)

    @classmethod
    def from_model(cls, row: models.Balance) -> Balance:
        return cls(
            asset_id=row.asset_id, available=row.available, deferred=row.deferred, held=row.held
        )


@strawberry.type
class Counter:
    key: str
    value: Decimal
    reset_after: str | None
    last_reset_at: datetime | None

    @classmethod
    def from_model(cls, row: models.Counter) -> Counter:
        return cls(
            key=row.key,
            value=row.value,
            reset_after=row.reset_after,
            last_reset_at=row.last_reset_at,
        )


@strawberry.type
class ParticipantTier:
    key: str
    level: str
    rank: int
    program_id: uuid.UUID

    @classmethod
    def from_model(cls, row: HeldTier) -> ParticipantTier:
        return cls(key=row.tier_key, level=row.level, rank=row.rank, program_id=row.program_id)


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
        return now_or_later(info.context.loaders.programs, self.id, _each(Program.from_model))

    @lazy_field(list[Balance])
    def balances(self, info: Info) -> Lazy[list[Balance]]:
        return now_or_later(info.context.loaders.balances, self.id, _each(Balance.from_model))

    @lazy_field(list[Counter])
    def counters(self, info: Info) -> Lazy[list[Counter]]:
        return now_or_later(info.context.loaders.counters, self.id, _each(Counter.from_model))

    @lazy_field(list[ParticipantTier])
    def tiers(self, info: Info) -> Lazy[list[ParticipantTier]]:
        return now_or_later(info.context.loaders.tiers, self.id, _each(ParticipantTier.from_model))

    @classmethod
    def from_model(cls, row: models.Participant) -> Participant:
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
