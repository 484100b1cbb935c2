"""The listing queries are served by indexes: no full scan, no sort step (issue 3).

The statement each listing sends is captured as the driver sees it and run again under EXPLAIN
(`tests.helpers.explain`).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from app.core.db import Database
from app.crud import StateKind
from app.services.auth import IssuedKey
from app.services.cursors import CursorCodec
from app.services.participant_listing import (
    ParticipantFilter,
    SortDirection,
    SortField,
    list_participants,
)
from tests.helpers import captured_statements, explain
from tests.rest.test_list_participants import seed

CODEC = CursorCodec("plans")


async def plan_of(db: Database, organization_id: uuid.UUID, **listing: Any) -> str:
    with captured_statements(db, "FROM participants") as captured:
        await list_participants(
            db, CODEC, organization_id=organization_id, filter=ParticipantFilter(), **listing
        )
    return await explain(db, *captured[-1])


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
@pytest.mark.parametrize("state", [frozenset(), frozenset(StateKind)], ids=["rows", "state"])
async def test_each_sort_walks_its_index(
    db: Database,
    org: IssuedKey,
    sort: SortField,
    index: str,
    direction: SortDirection,
    state: frozenset[StateKind],
) -> None:
    """With the state read along (GraphQL's lazy fields), too: with no sort step, its
    subqueries run for the page's rows only."""
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
            db,
            org.organization_id,
            sort=sort,
            direction=direction,
            limit=5,
            after=after,
            state=state,
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
