"""Participant mutations after creation (issue 7): parse, call the service, shape the answer.

Each mirrors a REST route under `/v1/participants/{id}` and goes through the same service, so
both faces store the same state and write the same history rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types.unset import UNSET

from app.graphql.context import Info
from app.graphql.lazy import described_mutation
from app.graphql.types import Participant, ParticipantStatus, UserError
from app.graphql.user_errors import decimal_text, present, refusal
from app.models import Participant as ParticipantRow
from app.services import (
    participant_counters,
    participant_tiers,
    participant_writes,
    participants,
)
from app.services.errors import ServiceError

__all__ = ["ParticipantWriteMutation"]


@strawberry.type(description="The participant after the change, or why nothing changed.")
class ParticipantPayload:
    participant: Participant | None = strawberry.field(
        description="Null when userErrors is not empty."
    )
    changed: bool = strawberry.field(
        description="False when there was nothing to do (a tag already there, an absent key)."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Nothing was written when this is not empty. Codes beyond the input "
        "reasons: not_found, conflict (external_id taken), participant_inactive, "
        "tier_archived."
    )


@strawberry.input(
    description="Left out or null: unchanged; an empty string clears a profile field; "
    "attributes merge key by key; tags replace the set. Status has setParticipantStatus."
)
class UpdateParticipantInput:
    id: uuid.UUID = strawberry.field(description="The participant.")
    external_id: str | None = strawberry.field(
        default=UNSET, description="Unique within the organization (taken: conflict)."
    )
    email: str | None = strawberry.field(default=UNSET, description="A valid address or empty.")
    phone: str | None = strawberry.field(default=UNSET, description="At most 50 characters.")
    first_name: str | None = strawberry.field(default=UNSET, description="At most 255.")
    last_name: str | None = strawberry.field(default=UNSET, description="At most 255.")
    display_name: str | None = strawberry.field(default=UNSET, description="At most 255.")
    attributes: JSON | None = strawberry.field(
        default=UNSET, description="String values; merged into the stored ones."
    )
    tags: list[str] | None = strawberry.field(
        default=UNSET, description="The whole new set (lower-cased, at most 100)."
    )


@strawberry.input(description="A participant's new status.")
class SetParticipantStatusInput:
    id: uuid.UUID = strawberry.field(description="The participant.")
    status: ParticipantStatus = strawberry.field(  # type: ignore[valid-type]
        description="SUSPENDED and CLOSED block financial operations and tier changes."
    )


@strawberry.input(description="A participant's whole new tag set.")
class SetParticipantTagsInput:
    id: uuid.UUID = strawberry.field(description="The participant.")
    tags: list[str] = strawberry.field(description="The whole new set (lower-cased).")


@strawberry.input(description="One tag of a participant.")
class ParticipantTagInput:
    id: uuid.UUID = strawberry.field(description="The participant.")
    tag: str = strawberry.field(description="1-255 characters; matched lower-cased.")


@strawberry.input(description="Attributes to set on a participant.")
class SetParticipantAttributesInput:
    id: uuid.UUID = strawberry.field(description="The participant.")
    attributes: JSON = strawberry.field(
        description="Keys to set (string values); other stored keys stay."
    )


@strawberry.input(description="One attribute or counter of a participant.")
class ParticipantKeyInput:
    id: uuid.UUID = strawberry.field(description="The participant.")
    key: str = strawberry.field(description="The attribute or counter key.")


@strawberry.input(description="A counter's new value.")
class SetParticipantCounterInput:
    id: uuid.UUID = strawberry.field(description="The participant.")
    key: str = strawberry.field(description="1-255 characters.")
    value: Decimal = strawberry.field(description="The new value (an absolute set).")
    reset_after: str | None = strawberry.field(
        default=UNSET,
        description='A duration such as "720h" or "1h30m" after which reads give 0; "" '
        "removes it; left out or null: unchanged.",
    )


@strawberry.input(description="The level a participant is to hold in a tier.")
class SetParticipantTierInput:
    id: uuid.UUID = strawberry.field(description="The participant (enrolled and ACTIVE).")
    program_id: uuid.UUID = strawberry.field(description="The program whose tier it is.")
    key: str = strawberry.field(description="The tier's key.")
    level: str = strawberry.field(description="A level key of the tier's definition.")
    expires_at: datetime | None = strawberry.field(
        default=UNSET, description="When the level lapses (in the future); null: never."
    )


@strawberry.input(description="A tier whose level a participant is to lose.")
class RemoveParticipantTierInput:
    id: uuid.UUID = strawberry.field(description="The participant (enrolled and ACTIVE).")
    program_id: uuid.UUID = strawberry.field(description="The program whose tier it is.")
    key: str = strawberry.field(description="The tier's key.")


async def _run(
    info: Info,
    participant_id: uuid.UUID,
    write: Callable[[], Awaitable[Any]],
) -> ParticipantPayload:
    """Run `write`; answer the participant as it is now, or the refusal as userErrors."""
    try:
        outcome = await write()
    except ServiceError as exc:
        return ParticipantPayload(participant=None, changed=False, user_errors=refusal(exc))
    changed = True
    if isinstance(outcome, tuple):
        outcome, changed = outcome
    info.context.loaders.forget(participant_id)
    if isinstance(outcome, ParticipantRow):
        row = outcome
    else:  # a counter or tier write: read the participant as it is now
        row = await participants.get_participant(
            info.context.db,
            organization_id=info.context.principal.organization_id,
            participant_id=participant_id,
        )
    return ParticipantPayload(
        participant=Participant.from_model(row), changed=changed, user_errors=[]
    )


@strawberry.type
class ParticipantWriteMutation:
    @described_mutation("Change profile fields, externalId, attributes or tags.")
    async def update_participant(
        self, info: Info, input: UpdateParticipantInput
    ) -> ParticipantPayload:
        data = present(input)
        pid = data.pop("id")
        return await _run(
            info,
            pid,
            lambda: participant_writes.update_participant(
                info.context.db, info.context.actor(), participant_id=pid, data=data
            ),
        )

    @described_mutation("ACTIVE, SUSPENDED or CLOSED; any may follow any.")
    async def set_participant_status(
        self, info: Info, input: SetParticipantStatusInput
    ) -> ParticipantPayload:
        return await _run(
            info,
            input.id,
            lambda: participant_writes.set_status(
                info.context.db,
                info.context.actor(),
                participant_id=input.id,
                data={"status": input.status},
            ),
        )

    @described_mutation("Replace the whole tag set.")
    async def set_participant_tags(
        self, info: Info, input: SetParticipantTagsInput
    ) -> ParticipantPayload:
        return await _run(
            info,
            input.id,
            lambda: participant_writes.set_tags(
                info.context.db,
                info.context.actor(),
                participant_id=input.id,
                data={"tags": input.tags},
            ),
        )

    @described_mutation("Add one tag; changed is false when it was there.")
    async def add_participant_tag(
        self, info: Info, input: ParticipantTagInput
    ) -> ParticipantPayload:
        return await _run(
            info,
            input.id,
            lambda: participant_writes.add_tag(
                info.context.db, info.context.actor(), participant_id=input.id, tag=input.tag
            ),
        )

    @described_mutation("Remove one tag; changed is false when it was absent.")
    async def remove_participant_tag(
        self, info: Info, input: ParticipantTagInput
    ) -> ParticipantPayload:
        return await _run(
            info,
            input.id,
            lambda: participant_writes.remove_tag(
                info.context.db, info.context.actor(), participant_id=input.id, tag=input.tag
            ),
        )

    @described_mutation("Set the given attributes; the others stay (a merge).")
    async def set_participant_attributes(
        self, info: Info, input: SetParticipantAttributesInput
    ) -> ParticipantPayload:
        data = {"attributes": input.attributes}
        return await _run(
            info,
            input.id,
            lambda: participant_writes.merge_attributes(
                info.context.db, info.context.actor(), participant_id=input.id, data=data
            ),
        )

    @described_mutation("Remove one attribute; changed is false when it was absent.")
    async def remove_participant_attribute(
        self, info: Info, input: ParticipantKeyInput
    ) -> ParticipantPayload:
        return await _run(
            info,
            input.id,
            lambda: participant_writes.remove_attribute(
                info.context.db, info.context.actor(), participant_id=input.id, key=input.key
            ),
        )

    @described_mutation("Set a counter to a value (creating it); starts a period.")
    async def set_participant_counter(
        self, info: Info, input: SetParticipantCounterInput
    ) -> ParticipantPayload:
        data: dict[str, Any] = {"value": decimal_text(input.value)}
        if input.reset_after is not UNSET and input.reset_after is not None:
            data["reset_after"] = input.reset_after
        return await _run(
            info,
            input.id,
            lambda: participant_counters.set_counter(
                info.context.db,
                info.context.actor(),
                participant_id=input.id,
                key=input.key,
                data=data,
            ),
        )

    @described_mutation("Remove a counter for good; changed is false when absent.")
    async def remove_participant_counter(
        self, info: Info, input: ParticipantKeyInput
    ) -> ParticipantPayload:
        async def write() -> tuple[None, bool]:
            removed = await participant_counters.remove_counter(
                info.context.db, info.context.actor(), participant_id=input.id, key=input.key
            )
            return None, removed

        return await _run(info, input.id, write)

    @described_mutation("Give the participant a level of a program's tier.")
    async def set_participant_tier(
        self, info: Info, input: SetParticipantTierInput
    ) -> ParticipantPayload:
        data: dict[str, Any] = {"level": input.level}
        if input.expires_at is not UNSET:
            data["expires_at"] = input.expires_at
        return await _run(
            info,
            input.id,
            lambda: participant_tiers.set_tier_level(
                info.context.db,
                info.context.actor(),
                participant_id=input.id,
                program_id=input.program_id,
                key=input.key,
                data=data,
            ),
        )

    @described_mutation("Take away the participant's level in a tier.")
    async def remove_participant_tier(
        self, info: Info, input: RemoveParticipantTierInput
    ) -> ParticipantPayload:
        async def write() -> tuple[None, bool]:
            removed = await participant_tiers.remove_tier_level(
                info.context.db,
                info.context.actor(),
                participant_id=input.id,
                program_id=input.program_id,
                key=input.key,
            )
            return None, removed

        return await _run(info, input.id, write)
