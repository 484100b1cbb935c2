"""GraphQL types of what participants are enrolled in and hold: programs, assets, tiers.

Their lazy fields read through the request's DataLoaders, batched across a whole response.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.scalars import JSON

from app import models
from app.graphql.context import Info
from app.graphql.lazy import Lazy, described_field, each, lazy_field
from app.graphql.loaders import now_or_later
from app.graphql.pagination import argument_error
from app.services import programs as program_service
from app.services.errors import ValidationFailed
from app.services.pages import DEFAULT_PAGE_SIZE
from app.services.tiers import TierView

if TYPE_CHECKING:
    from app.graphql.listing import ParticipantConnection

__all__ = [
    "Asset",
    "AssetStatus",
    "InventoryMode",
    "IssuancePolicy",
    "OnUnknownParticipant",
    "Program",
    "ProgramStatus",
    "Tier",
    "TierLevel",
    "TierStatus",
]

ProgramStatus = strawberry.enum(models.ProgramStatus, name="ProgramStatus")
OnUnknownParticipant = strawberry.enum(
    models.OnUnknownParticipant,
    name="OnUnknownParticipant",
    description="What an event for an unknown externalId does.",
)
AssetStatus = strawberry.enum(
    models.AssetStatus, name="AssetStatus", description="ARCHIVED is one-way."
)
InventoryMode = strawberry.enum(
    models.InventoryMode,
    name="InventoryMode",
    description="SIMPLE keeps one running balance; LOT one lot per credit, used oldest first.",
)
IssuancePolicy = strawberry.enum(
    models.IssuancePolicy,
    name="IssuancePolicy",
    description="UNLIMITED mints value; PREFUNDED draws on the program's wallet.",
)
TierStatus = strawberry.enum(
    models.TierStatus, name="TierStatus", description="ARCHIVED is one-way."
)


@strawberry.type
class Asset:
    id: uuid.UUID
    name: str
    symbol: str = strawberry.field(description="Unique within the organization.")
    scale: int = strawberry.field(description="Digits after the point amounts may have.")
    inventory_mode: InventoryMode  # type: ignore[valid-type]
    issuance_policy: IssuancePolicy  # type: ignore[valid-type]
    max_transaction_amount: Decimal | None = strawberry.field(
        description="The most one credit or debit may move; null means no limit."
    )
    status: AssetStatus  # type: ignore[valid-type]
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = strawberry.field(description="Set once archived.")

    @lazy_field(list[uuid.UUID], description="The programs it is linked to, oldest link first.")
    def program_ids(self, info: Info) -> Lazy[list[uuid.UUID]]:
        return now_or_later(info.context.loaders.asset_program_ids, self.id, list)

    @described_field("The programs it is linked to, oldest link first.")
    async def programs(self, info: Info) -> list[Program]:
        loaders = info.context.loaders
        program_ids = await loaders.asset_program_ids.load(self.id)
        rows = await loaders.program_by_id.load_many(program_ids)
        return [Program.from_model(row) for row in rows if row is not None]

    @classmethod
    def from_model(cls, row: models.Asset) -> Asset:
        return cls(
            id=row.id,
            name=row.name,
            symbol=row.symbol,
            scale=row.scale,
            inventory_mode=row.inventory_mode,
            issuance_policy=row.issuance_policy,
            max_transaction_amount=row.max_transaction_amount,
            status=row.status,
            created_at=row.created_at,
            updated_at=row.updated_at,
            deleted_at=row.deleted_at,
        )

    @classmethod
    def existing(cls, row: models.Asset | None) -> Asset:
        if row is None:  # pragma: no cover - a foreign key guarantees the asset exists
            raise LookupError("a referenced asset is missing")
        return cls.from_model(row)


@strawberry.type
class TierLevel:
    id: uuid.UUID
    key: str
    rank: int = strawberry.field(description="Unique within the tier; higher is better.")
    display_name: str | None
    benefits: JSON
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, row: models.TierLevel) -> TierLevel:
        return cls(
            id=row.id,
            key=row.key,
            rank=row.rank,
            display_name=row.display_name,
            benefits=JSON(row.benefits),
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@strawberry.type(description="A tier definition of a program, with its ranked levels.")
class Tier:
    id: uuid.UUID
    program_id: uuid.UUID
    key: str = strawberry.field(description="Unique within the program; never changes.")
    display_name: str | None
    status: TierStatus  # type: ignore[valid-type]
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime
    known_levels: strawberry.Private[list[models.TierLevel] | None] = None

    @lazy_field(list[TierLevel], description="Lowest rank first.")
    def levels(self, info: Info) -> Lazy[list[TierLevel]]:
        if self.known_levels is not None:
            return [TierLevel.from_model(row) for row in self.known_levels]
        return now_or_later(info.context.loaders.tier_levels, self.id, each(TierLevel.from_model))

    @classmethod
    def from_model(cls, row: models.Tier, levels: list[models.TierLevel] | None = None) -> Tier:
        return cls(
            id=row.id,
            program_id=row.program_id,
            key=row.key,
            display_name=row.display_name,
            status=row.status,
            archived_at=row.archived_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
            known_levels=levels,
        )

    @classmethod
    def from_view(cls, view: TierView) -> Tier:
        return cls.from_model(view.tier, view.levels)


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

    @lazy_field(list[Asset], description="The assets linked to it, oldest link first.")
    def assets(self, info: Info) -> Lazy[list[Asset]]:
        return now_or_later(info.context.loaders.program_assets, self.id, each(Asset.from_model))

    @described_field("Its tier definitions by key, ARCHIVED ones unless filtered.")
    async def tiers(
        self,
        info: Info,
        status: TierStatus | None = None,  # type: ignore[valid-type]
    ) -> list[Tier]:
        rows = await info.context.loaders.program_tiers.load(self.id)
        return [Tier.from_model(row) for row in rows if status is None or row.status == status]

    @described_field(
        "Its actively enrolled participants, most recently enrolled first (first: 1-200)."
    )
    async def participants(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Annotated[ParticipantConnection, strawberry.lazy("app.graphql.listing")]:
        from app.graphql.listing import connection_of  # it needs this module

        try:
            position = program_service.enrolled_position(
                info.context.cursor_codec, limit=first, after=after
            )
        except ValidationFailed as exc:
            raise argument_error(exc) from None
        info.context.nodes.spend(first)
        page = await info.context.loaders.program_participants.load(
            (self.id, first, position, None)
        )
        return connection_of(page)

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

    @classmethod
    def existing(cls, row: models.Program | None) -> Program:
        if row is None:  # pragma: no cover - a foreign key guarantees the program exists
            raise LookupError("a referenced program is missing")
        return cls.from_model(row)
