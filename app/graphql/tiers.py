"""Tier definition queries and mutations (issue 6): parse, call the service, shape the answer."""

from __future__ import annotations

import uuid
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types.unset import UNSET

from app.graphql.context import Info
from app.graphql.program_types import Tier
from app.graphql.types import UserError
from app.graphql.user_errors import present, refusal
from app.services import tiers as service
from app.services.errors import NotFound, ServiceError

__all__ = ["TierMutation", "TierQuery"]


@strawberry.input
class TierLevelInput:
    key: str = strawberry.field(description="^[a-z][a-z0-9_]*$, at most 64; never changes.")
    rank: int = strawberry.field(description="Unique within the tier; higher is better.")
    display_name: str | None = UNSET
    benefits: JSON | None = UNSET


@strawberry.input(description="A new tier of an ACTIVE or SUSPENDED program.")
class CreateTierInput:
    program_id: uuid.UUID
    key: str = strawberry.field(description="^[a-z][a-z0-9_]*$, at most 64; unique per program.")
    display_name: str | None = UNSET
    levels: list[TierLevelInput] = strawberry.field(description="At least one.")


@strawberry.input(
    description="Left out: unchanged. levels is the whole new list, matched to the stored "
    "levels by key; levels left out are removed unless participants hold them."
)
class UpdateTierInput:
    program_id: uuid.UUID
    key: str
    display_name: str | None = UNSET
    levels: list[TierLevelInput] | None = UNSET


@strawberry.input(description="Archiving is one-way.")
class ArchiveTierInput:
    program_id: uuid.UUID
    key: str


@strawberry.type
class TierPayload:
    tier: Tier | None = strawberry.field(description="Null when userErrors is not empty.")
    user_errors: list[UserError] = strawberry.field(
        description="code tier_archived: the tier is archived; program_archived: so is the "
        "program; conflict: the key is taken, or participants hold a removed level."
    )


def _service_data(input_: object) -> dict[str, Any]:
    data = present(input_)
    if isinstance(data.get("levels"), list):
        data["levels"] = [present(level) for level in data["levels"]]
    return data


async def resolve_tier(info: Info, program_id: uuid.UUID, key: str) -> Tier | None:
    try:
        view = await service.get_tier(
            info.context.db,
            organization_id=info.context.principal.organization_id,
            program_id=program_id,
            key=key,
        )
    except NotFound:
        return None
    return Tier.from_view(view)


@strawberry.type
class TierQuery:
    tier: Tier | None = strawberry.field(
        resolver=resolve_tier, description="Null when the program has no tier with this key."
    )


@strawberry.type
class TierMutation:
    @strawberry.mutation
    async def create_tier(self, info: Info, input: CreateTierInput) -> TierPayload:
        data = _service_data(input)
        program_id = data.pop("program_id")
        try:
            view = await service.create_tier(
                info.context.db,
                organization_id=info.context.principal.organization_id,
                program_id=program_id,
                data=data,
            )
        except ServiceError as exc:
            return TierPayload(tier=None, user_errors=refusal(exc, not_found_field="program_id"))
        return TierPayload(tier=Tier.from_view(view), user_errors=[])

    @strawberry.mutation
    async def update_tier(self, info: Info, input: UpdateTierInput) -> TierPayload:
        data = _service_data(input)
        program_id, key = data.pop("program_id"), data.pop("key")
        try:
            view = await service.update_tier(
                info.context.db,
                organization_id=info.context.principal.organization_id,
                program_id=program_id,
                key=key,
                data=data,
            )
        except ServiceError as exc:
            return TierPayload(tier=None, user_errors=refusal(exc, not_found_field="key"))
        return TierPayload(tier=Tier.from_view(view), user_errors=[])

    @strawberry.mutation
    async def archive_tier(self, info: Info, input: ArchiveTierInput) -> TierPayload:
        try:
            view = await service.archive_tier(
                info.context.db,
                organization_id=info.context.principal.organization_id,
                program_id=input.program_id,
                key=input.key,
            )
        except ServiceError as exc:
            return TierPayload(tier=None, user_errors=refusal(exc, not_found_field="key"))
        return TierPayload(tier=Tier.from_view(view), user_errors=[])
