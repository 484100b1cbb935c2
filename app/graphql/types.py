"""GraphQL object types (CONTRACT §4). Lazy fields read through the request's DataLoaders."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

import strawberry
from strawberry.scalars import JSON

from app import models
from app.graphql.context import Info

__all__ = [
    "Asset",
    "Balance",
    "Counter",
    "Participant",
    "ParticipantStatus",
    "ParticipantTier",
    "Program",
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


@strawberry.type
class Program:
    id: uuid.UUID
    name: str
    description: str | None
    status: str
    on_unknown_participant: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, row: models.Program) -> Program:
        return cls(
            id=row.id,
            name=row.name,
            description=row.description,
            status=row.status.value,
            on_unknown_participant=row.on_unknown_participant,
            created_at=row.created_at,
            updated_at=row.updated_at,
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

    @strawberry.field
    async def asset(self, info: Info) -> Asset:
        row = await info.context.loaders.assets.load(self.asset_id)
        if row is None:  # pragma: no cover - a foreign key guarantees the asset exists
            raise LookupError(f"asset {self.asset_id} is missing")
        return Asset.from_model(row)

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
    def from_model(cls, row: models.ParticipantTier) -> ParticipantTier:
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

    @strawberry.field
    async def program_ids(self, info: Info) -> list[uuid.UUID]:
        return [program.id for program in await info.context.loaders.programs.load(self.id)]

    @strawberry.field
    async def programs(self, info: Info) -> list[Program]:
        return [Program.from_model(p) for p in await info.context.loaders.programs.load(self.id)]

    @strawberry.field
    async def balances(self, info: Info) -> list[Balance]:
        return [Balance.from_model(b) for b in await info.context.loaders.balances.load(self.id)]

    @strawberry.field
    async def counters(self, info: Info) -> list[Counter]:
        return [Counter.from_model(c) for c in await info.context.loaders.counters.load(self.id)]

    @strawberry.field
    async def tiers(self, info: Info) -> list[ParticipantTier]:
        return [
            ParticipantTier.from_model(t) for t in await info.context.loaders.tiers.load(self.id)
        ]

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
