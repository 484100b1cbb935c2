"""Participant queries and mutations: parse, call the service, shape the answer."""

from __future__ import annotations

import uuid

import strawberry
from graphql import GraphQLError
from strawberry.scalars import JSON
from strawberry.types.unset import UNSET

from app.graphql.context import Info
from app.graphql.listing import ParticipantConnection, resolve_participants
from app.graphql.types import Participant, ParticipantStatus, UserError
from app.graphql.user_errors import present, user_errors
from app.services import participants as service
from app.services.errors import ValidationFailed
from app.services.participant_input import is_storable_text

__all__ = [
    "CreateParticipantInput",
    "CreateParticipantPayload",
    "Mutation",
    "Query",
]


@strawberry.input(
    description=(
        "Creates the participant, or updates the one with the same externalId. Omitted or null "
        "fields keep their stored value; an empty string clears a profile field; attributes merge "
        "key by key; tags replace the whole set; programId adds an enrollment."
    )
)
class CreateParticipantInput:
    external_id: str
    program_id: uuid.UUID | None = UNSET
    status: ParticipantStatus | None = UNSET  # type: ignore[valid-type]
    email: str | None = UNSET
    phone: str | None = UNSET
    first_name: str | None = UNSET
    last_name: str | None = UNSET
    display_name: str | None = UNSET
    attributes: JSON | None = UNSET
    tags: list[str] | None = UNSET


@strawberry.type
class CreateParticipantPayload:
    participant: Participant | None = strawberry.field(
        description="Null when userErrors is not empty."
    )
    created: bool = strawberry.field(description="False when an existing participant was updated.")
    user_errors: list[UserError]


async def resolve_participant(
    info: Info, id: uuid.UUID | None = None, external_id: str | None = None
) -> Participant | None:
    loaders = info.context.loaders
    if id is not None and external_id is None:
        row = await loaders.participant_by_id.load(id)
    elif external_id is not None and id is None:
        if not is_storable_text(external_id):
            return None  # no participant can have it
        row = await loaders.participant_by_external_id.load(external_id)
    else:
        raise GraphQLError(
            "Pass exactly one of id or externalId.", extensions={"code": "BAD_USER_INPUT"}
        )
    return Participant.from_model(row) if row else None


@strawberry.type
class Query:
    participant: Participant | None = strawberry.field(
        resolver=resolve_participant,
        description="Exactly one of id or externalId. Null when not found.",
    )
    participants: ParticipantConnection = strawberry.field(
        resolver=resolve_participants,
        description=(
            "The organization's participants, a page at a time (first: 1-200, default 50; "
            "newest first unless orderBy says otherwise). Pass a pageInfo.endCursor as `after` "
            "for the next page."
        ),
    )


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def create_participant(
        self, info: Info, input: CreateParticipantInput
    ) -> CreateParticipantPayload:
        try:
            outcome = await service.create_participant(
                info.context.db,
                organization_id=info.context.principal.organization_id,
                data=present(input),
                api_key_id=info.context.principal.api_key_id,
            )
        except ValidationFailed as exc:
            return CreateParticipantPayload(
                participant=None, created=False, user_errors=user_errors(exc.errors)
            )
        loaders = info.context.loaders
        if outcome.known_state is not None:
            loaders.prime(outcome.participant.id, outcome.known_state)
        else:
            loaders.forget(outcome.participant.id)
        return CreateParticipantPayload(
            participant=Participant.from_model(outcome.participant),
            created=outcome.created,
            user_errors=[],
        )
