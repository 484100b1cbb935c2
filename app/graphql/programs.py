"""Program queries and mutations (issue 6): parse, call the service, shape the answer."""

from __future__ import annotations

import uuid

import strawberry
from strawberry.types.unset import UNSET

from app.graphql.context import Info
from app.graphql.listing import OrderDirection
from app.graphql.pagination import PageInfo, argument_error
from app.graphql.program_types import OnUnknownParticipant, Program, ProgramStatus
from app.graphql.types import UserError
from app.graphql.user_errors import present, user_errors
from app.services import programs as service
from app.services.errors import FieldError, NotFound, ValidationFailed
from app.services.pages import DEFAULT_PAGE_SIZE, SortDirection

__all__ = ["ProgramMutation", "ProgramQuery"]

ProgramOrderField = strawberry.enum(service.ProgramSort, name="ProgramOrderField")


@strawberry.input(description="A new program; it starts ACTIVE.")
class CreateProgramInput:
    name: str
    description: str | None = UNSET
    on_unknown_participant: OnUnknownParticipant | None = UNSET  # type: ignore[valid-type]


@strawberry.input(
    description="Fields left out or null stay; an empty description clears it. ARCHIVED hides "
    "the program from lists and stops new enrollments; ACTIVE brings it back."
)
class UpdateProgramInput:
    id: uuid.UUID
    name: str | None = UNSET
    description: str | None = UNSET
    on_unknown_participant: OnUnknownParticipant | None = UNSET  # type: ignore[valid-type]
    status: ProgramStatus | None = UNSET  # type: ignore[valid-type]


@strawberry.type
class ProgramPayload:
    program: Program | None = strawberry.field(description="Null when userErrors is not empty.")
    user_errors: list[UserError]


@strawberry.input
class ProgramFilter:
    status: ProgramStatus | None = None  # type: ignore[valid-type]
    include_archived: bool = strawberry.field(
        default=False, description="ARCHIVED programs are left out unless this or status asks."
    )
    search: str | None = strawberry.field(default=None, description="Substring of the name.")


@strawberry.input
class ProgramOrder:
    field: ProgramOrderField = service.ProgramSort.CREATED_AT  # type: ignore[valid-type]
    direction: OrderDirection = SortDirection.DESC  # type: ignore[valid-type]


@strawberry.type
class ProgramEdge:
    cursor: str
    node: Program


@strawberry.type
class ProgramConnection:
    edges: list[ProgramEdge]
    page_info: PageInfo


async def resolve_program(info: Info, id: uuid.UUID) -> Program | None:
    try:
        row = await service.get_program(
            info.context.db,
            organization_id=info.context.principal.organization_id,
            program_id=id,
        )
    except NotFound:
        return None
    return Program.from_model(row)


async def resolve_programs(
    info: Info,
    first: int = DEFAULT_PAGE_SIZE,
    after: str | None = None,
    filter: ProgramFilter | None = None,
    order_by: ProgramOrder | None = None,
) -> ProgramConnection:
    given, order = filter or ProgramFilter(), order_by or ProgramOrder()
    info.context.nodes.spend(first)
    try:
        page = await service.list_programs(
            info.context.db,
            info.context.cursor_codec,
            organization_id=info.context.principal.organization_id,
            status=given.status,
            include_archived=given.include_archived,
            search=given.search,
            sort=order.field,
            direction=order.direction,
            limit=first,
            after=after,
        )
    except ValidationFailed as exc:
        raise argument_error(exc) from None
    return ProgramConnection(
        edges=[
            ProgramEdge(cursor=cursor, node=Program.from_model(row))
            for row, cursor in zip(page.items, page.cursors, strict=True)
        ],
        page_info=PageInfo(has_next_page=page.has_more, end_cursor=page.end_cursor),
    )


@strawberry.type
class ProgramQuery:
    program: Program | None = strawberry.field(
        resolver=resolve_program,
        description="Null when there is no such program in your organization.",
    )
    programs: ProgramConnection = strawberry.field(
        resolver=resolve_programs,
        description="The organization's programs, a page at a time (first: 1-200, newest first).",
    )


@strawberry.type
class ProgramMutation:
    @strawberry.mutation
    async def create_program(self, info: Info, input: CreateProgramInput) -> ProgramPayload:
        try:
            row = await service.create_program(
                info.context.db,
                organization_id=info.context.principal.organization_id,
                data=present(input),
            )
        except ValidationFailed as exc:
            return ProgramPayload(program=None, user_errors=user_errors(exc.errors))
        return ProgramPayload(program=Program.from_model(row), user_errors=[])

    @strawberry.mutation
    async def update_program(self, info: Info, input: UpdateProgramInput) -> ProgramPayload:
        data = present(input)
        program_id = data.pop("id")
        try:
            row = await service.update_program(
                info.context.db,
                organization_id=info.context.principal.organization_id,
                program_id=program_id,
                data=data,
            )
        except ValidationFailed as exc:
            return ProgramPayload(program=None, user_errors=user_errors(exc.errors))
        except NotFound:
            missing = FieldError(("id",), "not_found", "no such program")
            return ProgramPayload(program=None, user_errors=user_errors([missing]))
        return ProgramPayload(program=Program.from_model(row), user_errors=[])
