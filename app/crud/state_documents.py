"""Participants' programs, balances, counters and tiers as columns of the rows that read them.

`state.py` reads each kind of state with its own statement. For a page of participants that
asks for all of them, that is four statements, each with its own round trip, parameter
expansion and row processing. Here each kind of state is one more column of the participant's
row: a JSON array built by the database (`json_group_array` on SQLite, `json_agg` on
PostgreSQL) in a subquery correlated to the row, so a page's state comes with the page itself
(`crud.list_participants(..., state=...)`); only the kinds asked for are selected. The values
come back as the same views (`HeldBalance`, `HeldCounter`, `HeldTier`) and in the same order as
`state.py`'s queries give them. Programs come back as ids, in enrollment order: the caller
reads the few distinct programs once.

Values travel as JSON text, so each is read back by its type: decimals are sent as text (never
as JSON numbers, which are floats), timestamps in ISO form, UUIDs as text.
"""

from __future__ import annotations

import enum
import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cache
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Text,
    cast,
    func,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by

from app.core.sqltypes import InternedUuid, utc_from_text
from app.crud.state import (
    HELD_TIER_RANK,
    HELD_TIER_SOURCE,
    HeldBalance,
    HeldCounter,
    HeldTier,
)
from app.models import (
    Balance,
    Counter,
    Enrollment,
    EnrollmentStatus,
    Participant,
    ParticipantTier,
    Tier,
    TierLevel,
)

__all__ = ["StateDocuments", "StateKind", "read_state", "state_columns"]


class StateKind(enum.Enum):
    PROGRAMS = "programs"
    BALANCES = "balances"
    COUNTERS = "counters"
    TIERS = "tiers"


@dataclass(frozen=True, slots=True)
class StateDocuments:
    """What `state_documents` read, by participant id. A participant without any of a kind is
    absent from it, as from the per-kind queries; a kind not asked for stays empty."""

    program_ids: dict[uuid.UUID, list[uuid.UUID]] = field(default_factory=dict)
    balances: dict[uuid.UUID, list[HeldBalance]] = field(default_factory=dict)
    counters: dict[uuid.UUID, list[HeldCounter]] = field(default_factory=dict)
    tiers: dict[uuid.UUID, list[HeldTier]] = field(default_factory=dict)


_uuid = InternedUuid.parse


def _timestamp(text: str | None) -> datetime | None:
    return None if text is None else utc_from_text(text)


def _balance(pid: uuid.UUID, item: list[Any]) -> HeldBalance:
    asset_id, available, deferred, held = item
    return HeldBalance(pid, _uuid(asset_id), Decimal(available), Decimal(deferred), Decimal(held))


def _counter(pid: uuid.UUID, item: list[Any]) -> HeldCounter:
    key, value, reset_after, last_reset_at = item
    return HeldCounter(pid, key, Decimal(value), reset_after, _timestamp(last_reset_at))


def _tier(pid: uuid.UUID, item: list[Any]) -> HeldTier:
    program_id, key, level, rank, name, level_name, benefits, acquired, expires = item
    return HeldTier(
        pid,
        _uuid(program_id),
        key,
        level,
        rank,
        name,
        level_name,
        benefits,
        _timestamp(acquired),
        _timestamp(expires),
    )


@dataclass(frozen=True, slots=True)
class _Part:
    """One kind of state: its JSON array per participant, and how to read an item of it."""

    #: (dialect name) → the correlated subquery giving one participant's array.
    column: Callable[[str], ColumnElement[Any]]
    #: An element's sort key (SQLite sorts in Python, see `_array`).
    sort_key: Callable[[list[Any]], Any]
    read: Callable[[uuid.UUID, list[Any]], Any]
    #: Reads the array's JSON text (SQLite). orjson, except where users' JSON travels: it reads
    #: integers past 64 bits as floats, `json` keeps them exact, as the JSON columns do.
    loads: Callable[[str], Any] = orjson.loads


_P = Participant.__table__.c  # type: ignore[attr-defined]


def _array(
    dialect: str, items: Sequence[ColumnElement[Any]], order_by: Sequence[ColumnElement[Any]]
) -> ColumnElement[Any]:
    """One JSON array of `[*order_by, *items]` per participant (`[]` when it has none).

    PostgreSQL orders inside the aggregate, with its collation, as `state.py`'s ORDER BY does.
    SQLite (3.40 here) cannot order an aggregate: its elements carry their sort key in front
    and are sorted after reading; SQLite's BINARY collation is Python's string order.
    """
    if dialect == "sqlite":
        return func.json_group_array(func.json_array(*order_by, *items))
    element = func.json_build_array(*order_by, *items)
    return func.coalesce(
        func.json_agg(aggregate_order_by(element, *order_by)), literal_column("'[]'::json")
    )


def _text(dialect: str, column: ColumnElement[Any]) -> ColumnElement[Any]:
    """Exact decimals as text on PostgreSQL (SQLite keeps them as text already)."""
    return column if dialect == "sqlite" else cast(column, Text)


def _json(dialect: str, column: ColumnElement[Any]) -> ColumnElement[Any]:
    """A JSON column embedded as JSON, not as a string holding JSON (SQLite keeps text)."""
    return func.json(column) if dialect == "sqlite" else column


def _per_participant(
    dialect: str,
    table: Any,
    items: Sequence[ColumnElement[Any]],
    order_by: Sequence[ColumnElement[Any]],
    *conditions: ColumnElement[bool],
    source: Any = None,
) -> ColumnElement[Any]:
    """The correlated subquery giving one participant's array of `table`'s rows."""
    query = select(_array(dialect, items, order_by))
    if source is not None:
        query = query.select_from(source)
    return query.where(
        table.organization_id == _P.organization_id, table.participant_id == _P.id, *conditions
    ).scalar_subquery()


def _programs(dialect: str) -> ColumnElement[Any]:
    e = Enrollment.__table__.c  # type: ignore[attr-defined]
    active = e.status == EnrollmentStatus.ACTIVE
    return _per_participant(dialect, e, [], [e.created_at, e.program_id], active)


def _balances(dialect: str) -> ColumnElement[Any]:
    b = Balance.__table__.c  # type: ignore[attr-defined]
    amounts = [_text(dialect, b[name]) for name in ("available", "deferred", "held")]
    return _per_participant(dialect, b, amounts, [b.asset_id])


def _counters(dialect: str) -> ColumnElement[Any]:
    c = Counter.__table__.c  # type: ignore[attr-defined]
    items = [_text(dialect, c.value), c.reset_after, c.last_reset_at]
    return _per_participant(dialect, c, items, [c.key])


def _tiers(dialect: str) -> ColumnElement[Any]:
    pt = ParticipantTier.__table__.c  # type: ignore[attr-defined]
    t = Tier.__table__.c  # type: ignore[attr-defined]
    level = TierLevel.__table__.c  # type: ignore[attr-defined]
    items = [
        pt.level,
        HELD_TIER_RANK,
        t.display_name,
        level.display_name,
        _json(dialect, level.benefits),
        pt.acquired_at,
        pt.expires_at,
    ]
    order_by = [pt.program_id, pt.tier_key]
    return _per_participant(dialect, pt, items, order_by, source=HELD_TIER_SOURCE)


def _program_id(_pid: uuid.UUID, item: list[Any]) -> uuid.UUID:
    _enrolled_at, program_id = item
    return _uuid(program_id)


# Each element starts with its sort key; where the key is also data (a balance's asset id, a
# counter's key, a tier's program and key) the reader takes it from there.
_PARTS: dict[StateKind, _Part] = {
    StateKind.PROGRAMS: _Part(_programs, itemgetter(0, 1), _program_id),
    StateKind.BALANCES: _Part(_balances, itemgetter(0), _balance),
    StateKind.COUNTERS: _Part(_counters, itemgetter(0), _counter),
    StateKind.TIERS: _Part(_tiers, itemgetter(0, 1), _tier, json.loads),  # benefits
}


@cache
def state_columns(dialect: str, kinds: frozenset[StateKind]) -> tuple[ColumnElement[Any], ...]:
    """The columns holding `kinds` for each row of a SELECT FROM participants, in `StateKind`'s
    order (the order `read_state` expects them in)."""
    return tuple(
        _PARTS[kind].column(dialect).label(f"state_{kind.value}") for kind in _chosen(kinds)
    )


def _chosen(kinds: frozenset[StateKind]) -> tuple[StateKind, ...]:
    return tuple(kind for kind in StateKind if kind in kinds)


def read_state(
    dialect: str, kinds: frozenset[StateKind], rows: Iterable[tuple[uuid.UUID, Sequence[Any]]]
) -> StateDocuments:
    """What the `state_columns(dialect, kinds)` of some rows hold: `rows` gives each
    participant's id with those columns' values."""
    found = StateDocuments()
    targets: dict[StateKind, dict[uuid.UUID, list[Any]]] = {
        StateKind.PROGRAMS: found.program_ids,
        StateKind.BALANCES: found.balances,
        StateKind.COUNTERS: found.counters,
        StateKind.TIERS: found.tiers,
    }
    sorting = dialect == "sqlite"
    columns = [(_PARTS[kind], targets[kind]) for kind in _chosen(kinds)]
    for pid, documents in rows:
        for (part, target), document in zip(columns, documents, strict=True):
            # SQLite hands back JSON text; asyncpg, as SQLAlchemy sets it up, decodes json.
            items = part.loads(document) if isinstance(document, str) else document
            if not items:
                continue  # like the per-kind queries: a participant without any is absent
            if sorting:
                items.sort(key=part.sort_key)
            read = part.read
            target[pid] = [read(pid, item) for item in items]
    return found
