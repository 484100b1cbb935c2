"""Data access: one function per query, keyword-only arguments, always scoped to an organization."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    and_,
    bindparam,
    func,
    literal,
    or_,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.core.security import hash_api_key, key_display_prefix
from app.models import (
    ApiKey,
    Asset,
    Balance,
    Counter,
    Enrollment,
    EnrollmentStatus,
    Organization,
    Participant,
    ParticipantStatus,
    ParticipantTier,
    Program,
)

__all__ = [
    "assets_by_id",
    "balances_by_participant",
    "counters_by_participant",
    "create_api_key",
    "enroll",
    "find_api_key",
    "get_or_create_organization",
    "get_program",
    "has_organizations",
    "list_participants",
    "participants_by_external_id",
    "participants_by_id",
    "programs_by_participant",
    "tiers_by_participant",
    "upsert_participant",
]


def _insert_for(session: AsyncSession) -> Any:
    """The dialect's `insert`, which knows `ON CONFLICT`."""
    return sqlite.insert if session.get_bind().dialect.name == "sqlite" else postgresql.insert


# --- organizations and keys -------------------------------------------------------------------


async def get_or_create_organization(
    session: AsyncSession, *, name: str, now: datetime
) -> Organization:
    insert = _insert_for(session)
    await session.execute(
        insert(Organization)
        .values(id=uuid.uuid4(), name=name, created_at=now)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    org = await session.scalar(select(Organization).where(col(Organization.name) == name))
    if org is None:  # pragma: no cover - the insert above guarantees it
        raise LookupError(name)
    return org


async def has_organizations(session: AsyncSession) -> bool:
    return (await session.scalar(select(col(Organization.id)).limit(1))) is not None


async def create_api_key(
    session: AsyncSession, *, organization_id: uuid.UUID, key: str, now: datetime
) -> ApiKey:
    row = ApiKey(
        organization_id=organization_id,
        key_hash=hash_api_key(key),
        prefix=key_display_prefix(key),
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def find_api_key(session: AsyncSession, *, key_hash: str) -> ApiKey | None:
    """The live (not revoked) key with this hash."""
    return await session.scalar(
        select(ApiKey).where(col(ApiKey.key_hash) == key_hash, col(ApiKey.revoked_at).is_(None))
    )


async def touch_api_key(
    session: AsyncSession, *, api_key_id: uuid.UUID, now: datetime, unless_since: datetime
) -> None:
    """Record a use of the key, unless one at or after `unless_since` is recorded already."""
    await session.execute(
        update(ApiKey)
        .where(
            col(ApiKey.id) == api_key_id,
            or_(col(ApiKey.last_used_at).is_(None), col(ApiKey.last_used_at) < unless_since),
        )
        .values(last_used_at=now)
    )


async def list_api_keys(
    session: AsyncSession, *, organization_name: str | None = None
) -> list[tuple[ApiKey, str]]:
    """Every key (revoked ones too) with its organization's name, oldest first."""
    query = select(ApiKey, Organization.name).join(
        Organization, col(Organization.id) == col(ApiKey.organization_id)
    )
    if organization_name is not None:
        query = query.where(col(Organization.name) == organization_name)
    rows = await session.execute(query.order_by(col(ApiKey.created_at), col(ApiKey.id)))
    return [(key, name) for key, name in rows]


async def revoke_api_key(session: AsyncSession, *, api_key_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        update(ApiKey)
        .where(col(ApiKey.id) == api_key_id, col(ApiKey.revoked_at).is_(None))
        .values(revoked_at=now)
    )


# --- programs ---------------------------------------------------------------------------------


async def get_program(
    session: AsyncSession, *, organization_id: uuid.UUID, program_id: uuid.UUID
) -> Program | None:
    return await session.scalar(
        select(Program).where(
            col(Program.id) == program_id, col(Program.organization_id) == organization_id
        )
    )


# --- participants -----------------------------------------------------------------------------


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


async def participants_by_id(
    session: AsyncSession, *, organization_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Participant]:
    rows = await session.scalars(
        select(Participant).where(
            col(Participant.organization_id) == organization_id,
            col(Participant.id).in_(ids),
        )
    )
    return {row.id: row for row in rows}


async def participants_by_external_id(
    session: AsyncSession, *, organization_id: uuid.UUID, external_ids: Sequence[str]
) -> dict[str, Participant]:
    rows = await session.scalars(
        select(Participant).where(
            col(Participant.organization_id) == organization_id,
            col(Participant.external_id).in_(external_ids),
        )
    )
    return {row.external_id: row for row in rows}


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


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
) -> list[Participant]:
    """A keyset page: rows after `after` (the sort key of the previous page's last row)."""
    table = Participant.__table__.c  # type: ignore[attr-defined]
    query = select(Participant).where(table.organization_id == organization_id)
    if external_id is not None:
        query = query.where(table.external_id == external_id)
    if status is not None:
        query = query.where(table.status == status)
    if created_from is not None:
        query = query.where(table.created_at >= created_from)
    if created_to is not None:
        query = query.where(table.created_at < created_to)
    if program_id is not None:
        query = query.where(
            select(Enrollment.participant_id)
            .where(
                col(Enrollment.participant_id) == table.id,
                col(Enrollment.program_id) == program_id,
                col(Enrollment.status) == EnrollmentStatus.ACTIVE,
            )
            .exists()
        )
    if search:
        pattern = f"%{_escape_like(search)}%"
        query = query.where(or_(*(table[name].ilike(pattern, escape="\\") for name in _SEARCHED)))
    columns = [table[name] for name in order_by]
    if after is not None:
        position = tuple_(*columns)
        bound = tuple_(*(literal(v, type_=c.type) for v, c in zip(after, columns, strict=True)))
        query = query.where(position < bound if descending else position > bound)
    query = query.order_by(*(c.desc() if descending else c.asc() for c in columns)).limit(limit)
    return list(await session.scalars(query))


async def enroll(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    participant_id: uuid.UUID,
    program_id: uuid.UUID,
    now: datetime,
) -> None:
    """Enroll, or reactivate an inactive enrollment; an active one is left untouched."""
    insert = _insert_for(session)
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


# --- participant state, batched by participant id ----------------------------------------------


def _group(rows: Iterable[tuple[uuid.UUID, Any]]) -> dict[uuid.UUID, list[Any]]:
    grouped: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for key, value in rows:
        grouped[key].append(value)
    return grouped


_ORGANIZATION: BindParameter[uuid.UUID] = bindparam("organization_id")
_PARTICIPANTS: BindParameter[list[uuid.UUID]] = bindparam("participant_ids", expanding=True)


def _state_parameters(
    organization_id: uuid.UUID, participant_ids: Sequence[uuid.UUID]
) -> dict[str, Any]:
    return {"organization_id": organization_id, "participant_ids": list(participant_ids)}


#: Programs of each participant's active enrollments, oldest enrollment first. Like the other
#: batched state queries, built once and run with bound parameters.
_PROGRAMS = (
    select(col(Enrollment.participant_id), Program)
    .join(
        Program,
        and_(
            col(Program.id) == col(Enrollment.program_id),
            col(Program.organization_id) == col(Enrollment.organization_id),
        ),
    )
    .where(
        col(Enrollment.organization_id) == _ORGANIZATION,
        col(Enrollment.participant_id).in_(_PARTICIPANTS),
        col(Enrollment.status) == EnrollmentStatus.ACTIVE,
    )
    .order_by(col(Enrollment.created_at), col(Enrollment.program_id))
)


async def programs_by_participant(
    session: AsyncSession, *, organization_id: uuid.UUID, participant_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Program]]:
    """Programs of each participant's active enrollments, oldest enrollment first."""
    rows = await session.execute(_PROGRAMS, _state_parameters(organization_id, participant_ids))
    return _group((participant_id, program) for participant_id, program in rows)


_Owned = TypeVar("_Owned", Balance, Counter, ParticipantTier)


def _owned_query(model: type[_Owned], *order_by: Any) -> Any:
    return (
        select(model)
        .where(
            col(model.organization_id) == _ORGANIZATION,
            col(model.participant_id).in_(_PARTICIPANTS),
        )
        .order_by(*order_by)
    )


_BALANCES = _owned_query(Balance, col(Balance.asset_id))
_COUNTERS = _owned_query(Counter, col(Counter.key))
_TIERS = _owned_query(
    ParticipantTier, col(ParticipantTier.program_id), col(ParticipantTier.tier_key)
)


async def _owned_by(
    session: AsyncSession,
    query: Any,
    *,
    organization_id: uuid.UUID,
    participant_ids: Sequence[uuid.UUID],
) -> dict[uuid.UUID, list[Any]]:
    rows = await session.scalars(query, _state_parameters(organization_id, participant_ids))
    return _group((row.participant_id, row) for row in rows)


async def balances_by_participant(
    session: AsyncSession, *, organization_id: uuid.UUID, participant_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Balance]]:
    return await _owned_by(
        session, _BALANCES, organization_id=organization_id, participant_ids=participant_ids
    )


async def counters_by_participant(
    session: AsyncSession, *, organization_id: uuid.UUID, participant_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Counter]]:
    return await _owned_by(
        session, _COUNTERS, organization_id=organization_id, participant_ids=participant_ids
    )


async def tiers_by_participant(
    session: AsyncSession, *, organization_id: uuid.UUID, participant_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[ParticipantTier]]:
    return await _owned_by(
        session, _TIERS, organization_id=organization_id, participant_ids=participant_ids
    )


async def assets_by_id(
    session: AsyncSession, *, organization_id: uuid.UUID, asset_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Asset]:
    rows = await session.scalars(
        select(Asset).where(
            col(Asset.organization_id) == organization_id,
            col(Asset.id).in_(asset_ids),
        )
    )
    return {row.id: row for row in rows}
