"""Programs: create, read, change, list; the same for GraphQL and REST (scrip-api-facts §6).

A program starts ACTIVE. Its status may move freely between ACTIVE, SUSPENDED and ARCHIVED;
archiving stamps `deleted_at` (cleared when it comes back) and hides it from lists unless asked
for. Participants cannot be enrolled in an ARCHIVED program (`app.services.participants`).
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints
from sqlalchemy.ext.asyncio import AsyncSession

from app import crud
from app.core.db import Database
from app.core.formats import format_timestamp
from app.models import OnUnknownParticipant, Participant, Program, ProgramStatus, utcnow
from app.services.cursors import CursorCodec, InvalidCursor
from app.services.errors import Conflict, FieldError, NotFound, ValidationFailed
from app.services.pages import (
    DEFAULT_PAGE_SIZE,
    Cursors,
    Page,
    SortDirection,
    page_arguments,
    time_and_id,
)
from app.services.participant_input import NO_NUL, Documented, parse_input
from app.services.participant_listing import ParticipantPage
from app.services.text_rules import is_storable_text, not_blank, storable

__all__ = [
    "ProgramPage",
    "ProgramSort",
    "create_program",
    "enrolled_pages",
    "enrolled_position",
    "get_program",
    "list_programs",
    "update_program",
    "usable_program",
]

Name = Annotated[
    str,
    StringConstraints(min_length=1, max_length=255),
    AfterValidator(storable),
    AfterValidator(not_blank),
    Documented(pattern="^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"),
]
Description = Annotated[str, StringConstraints(max_length=1000), AfterValidator(storable), NO_NUL]


class ProgramCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name
    description: Description | None = None
    on_unknown_participant: OnUnknownParticipant = OnUnknownParticipant.CREATE


class ProgramUpdate(BaseModel):
    """Fields left out (or null) stay as they are; an empty description clears it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name | None = None
    description: Description | None = None
    on_unknown_participant: OnUnknownParticipant | None = None
    status: ProgramStatus | None = None


async def create_program(
    db: Database, *, organization_id: uuid.UUID, data: Mapping[str, Any]
) -> Program:
    request = parse_input(ProgramCreate, data)
    values = request.model_dump()
    values["on_unknown_participant"] = request.on_unknown_participant.value
    async with db.transaction() as session:
        return await crud.create_program(
            session, organization_id=organization_id, now=utcnow(), values=values
        )


async def get_program(
    db: Database, *, organization_id: uuid.UUID, program_id: uuid.UUID
) -> Program:
    async with db.lookup() as session:
        program = await crud.get_program(
            session, organization_id=organization_id, program_id=program_id
        )
    if program is None:
        raise NotFound("no such program")
    return program


async def usable_program(
    session: AsyncSession, *, organization_id: uuid.UUID, program_id: uuid.UUID, field: str = ""
) -> Program:
    """The program, if it exists and is not ARCHIVED, share-locked for the rest of the
    transaction (an archive waits for the write that uses it, or the write sees the archive).

    Named by a body `field`: a 400 naming it (`not_found`, or `invalid` when archived). From the
    path: 404, or 409 `program_archived`."""
    program = await crud.get_program(
        session, organization_id=organization_id, program_id=program_id, for_share=True
    )
    if program is None:
        if field:
            raise ValidationFailed([FieldError((field,), "not_found", "no such program")])
        raise NotFound("no such program")
    if program.status is ProgramStatus.ARCHIVED:
        if field:
            raise ValidationFailed([FieldError((field,), "invalid", "the program is archived")])
        raise Conflict("the program is archived", code="program_archived", field=("program_id",))
    return program


async def update_program(
    db: Database, *, organization_id: uuid.UUID, program_id: uuid.UUID, data: Mapping[str, Any]
) -> Program:
    request = parse_input(ProgramUpdate, data)
    changes = request.model_dump(exclude_none=True)
    now = utcnow()
    async with db.transaction() as session:
        program = await crud.get_program(
            session, organization_id=organization_id, program_id=program_id, for_update=True
        )
        if program is None:
            raise NotFound("no such program")
        if not changes:
            return program
        if "status" in changes and changes["status"] != program.status:
            program.deleted_at = now if changes["status"] is ProgramStatus.ARCHIVED else None
        if changes.get("description") == "":
            changes["description"] = None
        if "on_unknown_participant" in changes:
            changes["on_unknown_participant"] = changes["on_unknown_participant"].value
        for name, value in changes.items():
            setattr(program, name, value)
        program.updated_at = now
    return program


class ProgramSort(enum.StrEnum):
    CREATED_AT = "created_at"
    NAME = "name"


_SORT_KEYS = {ProgramSort.CREATED_AT: ("created_at", "id"), ProgramSort.NAME: ("name", "id")}


#: One keyset page of programs.
ProgramPage = Page[Program]


async def list_programs(
    db: Database,
    codec: CursorCodec,
    *,
    organization_id: uuid.UUID,
    status: ProgramStatus | None = None,
    include_archived: bool = False,
    search: str | None = None,
    sort: ProgramSort = ProgramSort.CREATED_AT,
    direction: SortDirection = SortDirection.DESC,
    limit: int = DEFAULT_PAGE_SIZE,
    after: str | None = None,
) -> ProgramPage:
    """One keyset page of the organization's programs. Raises `ValidationFailed`."""
    kind = f"programs:{sort}:{direction}"
    position, errors = page_arguments(
        codec, limit=limit, after=after, kind=kind, parse=lambda key: _parse_key(sort, key)
    )
    if search is not None and (len(search) > 255 or not is_storable_text(search)):
        errors.append(FieldError(("search",), "invalid", "must be at most 255 characters of text"))
    if errors:
        raise ValidationFailed(errors)
    async with db.read() as session:
        rows = await crud.list_programs(
            session,
            organization_id=organization_id,
            status=status,
            include_archived=include_archived,
            search=search,
            order_by=_SORT_KEYS[sort],
            descending=direction is SortDirection.DESC,
            after=position,
            limit=limit + 1,
        )
    page = rows[:limit]
    return Page(
        items=page,
        cursors=Cursors(page, lambda row: codec.encode(kind, _key_of(row, sort))),
        has_more=len(rows) > limit,
    )


def _key_of(row: Program, sort: ProgramSort) -> list[str]:
    first = format_timestamp(row.created_at) if sort is ProgramSort.CREATED_AT else row.name
    return [first, str(row.id)]


def _parse_key(sort: ProgramSort, key: list[Any]) -> tuple[Any, ...]:
    if len(key) != 2 or not all(isinstance(value, str) for value in key):
        raise InvalidCursor("is not a cursor this API issued")
    try:
        first: Any = datetime.fromisoformat(key[0]) if sort is ProgramSort.CREATED_AT else key[0]
        return first, uuid.UUID(key[1])
    except ValueError:
        raise InvalidCursor("is not a cursor this API issued") from None


_ENROLLED_KIND = "program-participants"


def enrolled_position(
    codec: CursorCodec, *, limit: int, after: str | None
) -> tuple[datetime, uuid.UUID] | None:
    """Where a page of a program's participants starts. Raises `ValidationFailed`."""
    position, errors = page_arguments(
        codec, limit=limit, after=after, kind=_ENROLLED_KIND, parse=time_and_id
    )
    if errors:
        raise ValidationFailed(errors)
    return position


async def enrolled_pages(
    db: Database,
    codec: CursorCodec,
    *,
    organization_id: uuid.UUID,
    program_ids: Sequence[uuid.UUID],
    limit: int,
    position: tuple[datetime, uuid.UUID] | None,
) -> dict[uuid.UUID, ParticipantPage]:
    """A page of each program's actively enrolled participants, most recently enrolled first;
    one statement for all the programs."""
    async with db.lookup() as session:
        found = await crud.enrolled_participants(
            session,
            organization_id=organization_id,
            program_ids=program_ids,
            after=position,
            limit=limit + 1,
        )

    def enrolled_cursor(row: tuple[datetime, Participant]) -> str:
        return codec.encode(_ENROLLED_KIND, [format_timestamp(row[0]), str(row[1].id)])

    pages = {}
    for program_id in program_ids:
        rows = found.get(program_id, [])[:limit]
        pages[program_id] = ParticipantPage(
            participants=[participant for _, participant in rows],
            cursors=Cursors(
                rows,
                lambda row: codec.encode(
                    _ENROLLED_KIND, [format_timestamp(row[0]), str(row[1].id)]
                ),
            ),
            has_more=len(found.get(program_id, [])) > limit,
        )
    return pages
