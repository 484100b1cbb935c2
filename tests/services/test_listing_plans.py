"""The listing queries are served by indexes: no full scan, no sort step (issue 3).

The statement each listing sends is captured as the driver sees it and run again under EXPLAIN.
PostgreSQL would rightly prefer a sequential scan (or a sort of a few rows) on a table this
small, so both are priced out of its plans here: what remains shows whether an index can serve
the query.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import event

from app.core.db import Database
from app.services.auth import IssuedKey
from app.services.cursors import CursorCodec
from app.services.participant_listing import (
    ParticipantFilter,
    SortDirection,
    SortField,
    list_participants,
)
from tests.rest.test_list_participants import seed

CODEC = CursorCodec("plans")


async def plan_of(db: Database, organization_id: uuid.UUID, **listing: Any) -> str:
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM participants" in statement:
            captured.append((statement, parameters))

    event.listen(db.engine.sync_engine, "before_cursor_execute", capture)
    try:
        await list_participants(
            db, CODEC, organization_id=organization_id, filter=ParticipantFilter(), **listing
        )
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", capture)
    statement, parameters = captured[-1]
    async with db.engine.connect() as connection:
        if db.is_sqlite:
            rows = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            return "\n".join(str(row[-1]) for row in rows)
        await connection.exec_driver_sql("SET enable_seqscan = off")
        await connection.exec_driver_sql("SET enable_sort = off")
        rows = await connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
        return "\n".join(str(row[0]) for row in rows)


@pytest.mark.parametrize(
    ("sort", "index"),
    [
        (SortField.CREATED_AT, "ix_participants_org_created"),
        (SortField.STATUS, "ix_participants_org_status_created"),
        # SQLite names a UNIQUE constraint's index itself.
        (SortField.EXTERNAL_ID, "uq_participants_organization_id_external_id|sqlite_autoindex"),
    ],
)
@pytest.mark.parametrize("direction", list(SortDirection))
async def test_each_sort_walks_its_index(
    db: Database, org: IssuedKey, sort: SortField, index: str, direction: SortDirection
) -> None:
    await seed(db, org, count=30)
    first = await list_participants(
        db,
        CODEC,
        organization_id=org.organization_id,
        filter=ParticipantFilter(),
        limit=5,
        sort=sort,
        direction=direction,
    )
    for after in (None, first.end_cursor):
        plan = await plan_of(
            db, org.organization_id, sort=sort, direction=direction, limit=5, after=after
        )
        assert any(name in plan for name in index.split("|")), plan
        assert "TEMP B-TREE" not in plan, plan  # SQLite: no sort step
        assert "Sort" not in plan.replace("Sort Key", ""), plan  # PostgreSQL: no sort node


async def test_lazy_field_batches_use_the_participant_index(db: Database, org: IssuedKey) -> None:
    """The loaders' `organization_id = ? AND participant_id IN (…)` must not scan the tenant."""
    from sqlalchemy import text

    if not db.is_sqlite:
        pytest.skip("SQLite's planner is the one that went astray")
    for table in ("balances", "counters", "participant_tiers", "enrollments"):
        async with db.read() as session:
            rows = await session.execute(
                text(
                    f"EXPLAIN QUERY PLAN SELECT * FROM {table} "
                    "WHERE organization_id = :org AND participant_id IN (:a, :b)"
                ),
                {"org": org.organization_id.hex, "a": "a", "b": "b"},
            )
            plan = " ".join(str(row[-1]) for row in rows)
        assert f"ix_{table}_org_participant" in plan or "participant_id=?" in plan, plan
