"""Participants: the upsert, lookups, the keyset listing, enrollment."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    func,
    null,
    or_,
    union_all,
)
from sqlalchemy import select as sa_select  # sqlmodel's select wants entities
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.crud.dialect import insert_for
from app.crud.keyset import contains, keyset_page, substring_pattern
from app.crud.state_documents import StateDocuments, StateKind, read_state, state_columns
from app.models import (
    Enrollment,
    EnrollmentStatus,
    Participant,
    ParticipantStatus,
)

__all__ = [
    "ListedParticipants",
    "ParticipantRow",
    "enroll",
    "enrolled_participants",
    "list_participants",
    "participants_by_external_id",
    "participants_by_id",
    "upsert_participant",
]


@dataclass(frozen=True, slots=True)
class ListedParticipants:
    """A page of participants as read, and the state read with them (by participant id)."""

    rows: list[ParticipantRow]
    state: StateDocuments


class ParticipantRow(Protocol):
    """A participant as reads show it: the ORM object, or a plain row where a page of them is
    read (a row costs a fraction of an ORM object to build)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def external_id(self) -> str: ...
    @property
    def status(self) -> ParticipantStatus: ...
    @property
    def email(self) -> str | None: ...
    @property
    def phone(self) -> str | None: ...
    @property
    def first_name(self) -> str | None: ...
    @property
    def last_name(self) -> str | None: ...
    @property
    def display_name(self) -> str | None: ...
    @property
    def attributes(self) -> dict[str, str]: ...
    @property
    def tags(self) -> list[str]: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def updated_at(self) -> datetime: ...


async def upsert_participant(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    new_id: uuid.UUID,
    now: datetime,
    values: dict[str, Any],
) -> Participant:
    """Insert, or update the participant with the same external_id, in one statement.

    `values` holds only the columns the caller gave. On update those overwrite the stored ones,
    except `attributes`, which merge key by key; `created_at` stays and `updated_at` moves.
    The returned row has `id == new_id` exactly when it was inserted.
    """
    row = {
        "status": ParticipantStatus.ACTIVE,
        "attributes": {},
        "tags": [],
        **values,
        "id": new_id,
        "organization_id": organization_id,
        "created_at": now,
        "updated_at": now,
    }
    stmt = _upsert_statement(session.get_bind().dialect.name, frozenset(values))
    result = await session.scalars(stmt, row, execution_options={"populate_existing": True})
    participant: Participant = result.one()
    return participant


@lru_cache(maxsize=1024)  # per dialect and set of given columns: at most 2 * 2**9
def _upsert_statement(dialect: str, given: frozenset[str]) -> Any:
    """The upsert for `given` columns, built once: building it costs more than running it."""
    insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
    columns = Participant.__table__.c  # type: ignore[attr-defined]
    names = sorted({"status", "attributes", "tags", "id", "organization_id", *given} | _STAMPS)
    stmt = insert(Participant).values(
        {name: bindparam(name, type_=columns[name].type) for name in names}
    )
    changes: dict[str, Any] = {
        name: stmt.excluded[name] for name in given if name not in ("external_id", "attributes")
    }
    if "attributes" in given:
        changes["attributes"] = _merged_attributes(dialect, stmt.excluded.attributes)
    changes["updated_at"] = stmt.excluded.updated_at
    return stmt.on_conflict_do_update(
        index_elements=["organization_id", "external_id"], set_=changes
    ).returning(Participant)


_STAMPS = frozenset({"created_at", "updated_at"})


def _merged_attributes(dialect: str, incoming: ColumnElement[Any]) -> ColumnElement[Any]:
    stored = col(Participant.attributes)
    if dialect == "sqlite":
        # RFC 7396 merge; values are always strings, so this is a plain key-by-key overwrite.
        merged: ColumnElement[Any] = func.json_patch(stored, incoming)
    else:
        merged = stored.op("||")(incoming)
    return merged


# Built once, run with bound parameters (building a statement costs more than running it).
_BY_ID = select(Participant).where(
    col(Participant.organization_id) == bindparam("organization_id"),
    col(Participant.id).in_(bindparam("keys", expanding=True)),
)
_BY_EXTERNAL_ID = select(Participant).where(
    col(Participant.organization_id) == bindparam("organization_id"),
    col(Participant.external_id).in_(bindparam("keys", expanding=True)),
)


async def participants_by_id(
    session: AsyncSession, *, organization_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Participant]:
    rows = await session.scalars(_BY_ID, {"organization_id": organization_id, "keys": list(ids)})
    return {row.id: row for row in rows}


async def participants_by_external_id(
    session: AsyncSession, *, organization_id: uuid.UUID, external_ids: Sequence[str]
) -> dict[str, Participant]:
    rows = await session.scalars(
        _BY_EXTERNAL_ID, {"organization_id": organization_id, "keys": list(external_ids)}
    )
    return {row.external_id: row for row in rows}


_SEARCHED = ("external_id", "email", "phone", "first_name", "last_name", "display_name")


async def list_participants(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    external_id: str | None,
    status: ParticipantStatus | None,
    program_id: uuid.UUID | None,
    search: str | None,
    created_from: datetime | None,
    created_to: datetime | None,
    order_by: Sequence[str],
    descending: bool,
    after: Sequence[Any] | None,
    limit: int,
    unread: frozenset[str] = frozenset(),
    state: frozenset[StateKind] = frozenset(),
) -> ListedParticipants:
    """A keyset page: rows after `after` (the sort key of the previous page's last row).

    `unread`: columns the caller will not look at, returned as None without being read (a
    page's JSON columns cost more to decode than the rest of the row); never the sort keys.
    `state`: the kinds of state to read with each row, in the same statement (see
    `state_documents`): the subqueries run for the rows the page returns, and no others.
    """
    conditions: dict[str, Any] = {
        name: value
        for name, value in (
            ("external_id", external_id),
            ("status", status),
            ("program_id", program_id),
            ("created_from", created_from),
            ("created_to", created_to),
        )
        if value is not None
    }
    if search:
        conditions["search"] = substring_pattern(search)
    dialect = session.get_bind().dialect.name
    statement = _page_statement(
        dialect=dialect,
        state=state,
        filters=tuple(conditions),
        order_by=tuple(order_by),
        descending=descending,
        with_after=after is not None,
        unread=unread - set(order_by) - {"id"},
    )
    parameters = {"organization_id": organization_id, "limit": limit, **conditions}
    if after is not None:
        parameters.update((f"after_{i}", value) for i, value in enumerate(after))
    rows = (await session.execute(statement, parameters)).all()
    if not state:
        return ListedParticipants(cast(list[ParticipantRow], rows), StateDocuments())
    width = len(state)
    found = read_state(dialect, state, ((row.id, row[-width:]) for row in rows))
    return ListedParticipants(cast(list[ParticipantRow], rows), found)


@lru_cache(maxsize=256)
def _page_statement(
    *,
    dialect: str,
    state: frozenset[StateKind],
    filters: tuple[str, ...],
    order_by: tuple[str, ...],
    descending: bool,
    with_after: bool,
    unread: frozenset[str],
) -> Select[Any]:
    """The page query for one combination of filters, order and columns, built once and run
    with bound parameters: building it costs more than running it."""
    table = Participant.__table__.c  # type: ignore[attr-defined]
    selected = [null().label(c.name) if c.name in unread else c for c in table]
    query: Select[Any] = sa_select(*selected, *state_columns(dialect, state)).where(
        table.organization_id == bindparam("organization_id")
    )
    for name in filters:
        query = query.where(_PAGE_FILTERS[name](table, bindparam(name)))
    columns = [table[name] for name in order_by]
    after = (
        [bindparam(f"after_{i}", type_=c.type) for i, c in enumerate(columns)]
        if with_after
        else None
    )
    return keyset_page(query, columns, descending=descending, after=after, limit=bindparam("limit"))


def _enrolled_in(table: Any, program_id: Any) -> ColumnElement[bool]:
    return (
        select(Enrollment.participant_id)
        .where(
            col(Enrollment.participant_id) == table.id,
            col(Enrollment.program_id) == program_id,
            col(Enrollment.status) == EnrollmentStatus.ACTIVE,
        )
        .exists()
    )


#: Each filter's condition, given the participants table and the filter's bound parameter.
_PAGE_FILTERS: dict[str, Callable[[Any, Any], ColumnElement[bool]]] = {
    "external_id": lambda table, value: table.external_id == value,
    "status": lambda table, value: table.status == value,
    "program_id": _enrolled_in,
    "created_from": lambda table, value: table.created_at >= value,
    "created_to": lambda table, value: table.created_at < value,
    "search": lambda table, pattern: or_(*(contains(table[name], pattern) for name in _SEARCHED)),
}


async def enroll(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    participant_id: uuid.UUID,
    program_id: uuid.UUID,
    now: datetime,
) -> None:
    """Enroll, or reactivate an inactive enrollment; an active one is left untouched."""
    insert = insert_for(session)
    stmt = insert(Enrollment).values(
        participant_id=participant_id,
        program_id=program_id,
        organization_id=organization_id,
        status=EnrollmentStatus.ACTIVE,
        created_at=now,
        updated_at=now,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["participant_id", "program_id"],
        set_={"status": EnrollmentStatus.ACTIVE, "updated_at": now},
        where=col(Enrollment.status) != EnrollmentStatus.ACTIVE,
    )
    await session.execute(stmt)


async def enrolled_participants(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    program_ids: Sequence[uuid.UUID],
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> dict[uuid.UUID, list[tuple[datetime, Participant]]]:
    """Up to `limit` actively enrolled participants of each program, most recently enrolled
    first, each with its enrollment time; one statement for all the programs.

    One LIMITed arm per program, joined by UNION ALL: each arm walks its program's index and
    stops at `limit`, where a window function over all enrollments would read every one.
    """
    if not program_ids:
        return {}
    arms = []
    for program_id in program_ids:
        arm = select(
            col(Enrollment.program_id), col(Enrollment.created_at), col(Enrollment.participant_id)
        ).where(
            col(Enrollment.organization_id) == organization_id,
            col(Enrollment.program_id) == program_id,
            col(Enrollment.status) == EnrollmentStatus.ACTIVE,
        )
        page = keyset_page(arm, _ENROLLED_KEY, descending=True, after=after, limit=limit)
        arms.append(select(*page.subquery().c))
    enrolled = union_all(*arms).subquery()
    rows = await session.execute(
        select(enrolled.c.program_id, enrolled.c.created_at, Participant)
        .join(
            Participant,
            and_(
                col(Participant.id) == enrolled.c.participant_id,
                col(Participant.organization_id) == organization_id,
            ),
        )
        .order_by(
            enrolled.c.program_id, enrolled.c.created_at.desc(), enrolled.c.participant_id.desc()
        )
    )
    found: dict[uuid.UUID, list[tuple[datetime, Participant]]] = {}
    for program_id, enrolled_at, participant in rows:
        found.setdefault(program_id, []).append((enrolled_at, participant))
    return found


_ENROLLED_KEY = [
    Enrollment.__table__.c.created_at,  # type: ignore[attr-defined]
    Enrollment.__table__.c.participant_id,  # type: ignore[attr-defined]
]
