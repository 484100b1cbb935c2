"""A page's state read with the page (`crud.list_participants(..., state=...)`, built by
`app.crud.state_documents`) is exactly what the per-kind queries in `app.crud.state` read: the
same views, in the same order, on both databases."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from app import crud
from app.core.db import Database
from app.crud import StateKind
from app.models import (
    Asset,
    Balance,
    Counter,
    Enrollment,
    EnrollmentStatus,
    Participant,
    ParticipantTier,
    Program,
    Tier,
    TierLevel,
)
from app.services.auth import IssuedKey, issue_key
from tests.helpers import captured_statements, explain

ALL = frozenset(StateKind)
START = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


async def _page_state(
    db: Database, organization_id: uuid.UUID, kinds: frozenset[StateKind] = ALL
) -> crud.ListedParticipants:
    """The organization's first page of participants, with `kinds` of their state."""
    async with db.lookup() as session:
        return await crud.list_participants(
            session,
            organization_id=organization_id,
            external_id=None,
            status=None,
            program_id=None,
            search=None,
            created_from=None,
            created_to=None,
            order_by=("created_at", "id"),
            descending=True,
            after=None,
            limit=50,
            state=kinds,
        )


async def _seed(db: Database, org: uuid.UUID) -> list[uuid.UUID]:
    """Participants whose state has every shape: several rows per kind in an order the keys do
    not give by insertion, inactive enrollments, tiers with and without definitions, nothing."""
    async with db.transaction() as session:
        people = [
            Participant(organization_id=org, external_id=f"state-{n}-{uuid.uuid4().hex[:6]}")
            for n in range(3)
        ]
        programs = [Program(organization_id=org, name=f"Program {n}") for n in range(3)]
        symbol = uuid.uuid4().hex[:6].upper()
        assets = [
            Asset(organization_id=org, name=f"Asset {n}", symbol=f"A{n}{symbol}", scale=2)
            for n in range(3)
        ]
        session.add_all([*people, *programs, *assets])
        await session.flush()
        tier = Tier(organization_id=org, program_id=programs[0].id, key="status", display_name="S")
        session.add(tier)
        await session.flush()
        session.add(
            TierLevel(
                tier_id=tier.id,
                organization_id=org,
                key="gold",
                rank=7,
                display_name="Gold",
                benefits={"lounge": True, "multiplier": 1.5, "points": 2**70 + 1},
            )
        )
        full, partial, _empty = people
        for n, program in enumerate(reversed(programs)):
            session.add(
                Enrollment(
                    participant_id=full.id,
                    program_id=program.id,
                    organization_id=org,
                    status=EnrollmentStatus.INACTIVE if n == 1 else EnrollmentStatus.ACTIVE,
                    created_at=START + timedelta(minutes=n),
                )
            )
        session.add(
            Enrollment(participant_id=partial.id, program_id=programs[1].id, organization_id=org)
        )
        for asset in reversed(assets):
            session.add(
                Balance(
                    participant_id=full.id,
                    asset_id=asset.id,
                    organization_id=org,
                    available=Decimal("12345678901234567890.123456789"),
                    deferred=Decimal("-0.50"),
                    held=Decimal("0"),
                )
            )
        for key, reset, last in (
            ("zeta", "24h", START),  # long ago: read as 0 by the loaders, as stored here
            ("Alpha", None, None),
            ("émoji-✓", "720h", datetime.now(UTC)),
        ):
            session.add(
                Counter(
                    participant_id=full.id,
                    key=key,
                    organization_id=org,
                    value=Decimal("42.5"),
                    reset_after=reset,
                    last_reset_at=last,
                )
            )
        for program, key, level in (
            (programs[0], "status", "gold"),  # defined: rank, names and benefits from the level
            (programs[0], "legacy", "silver"),  # no definition
            (programs[2], "status", "bronze"),
        ):
            session.add(
                ParticipantTier(
                    participant_id=full.id,
                    program_id=program.id,
                    tier_key=key,
                    organization_id=org,
                    level=level,
                    rank=3,
                    acquired_at=START,
                    expires_at=START + timedelta(days=365) if level == "gold" else None,
                )
            )
    return [p.id for p in people]


async def test_reads_what_the_per_kind_queries_read(db: Database, org: IssuedKey) -> None:
    ids = await _seed(db, org.organization_id)
    scope: dict[str, Any] = {"organization_id": org.organization_id, "participant_ids": ids}
    found = (await _page_state(db, org.organization_id)).state
    async with db.read() as session:
        programs = await crud.programs_by_participant(session, **scope)
        balances = await crud.balances_by_participant(session, **scope)
        counters = await crud.counters_by_participant(session, **scope)
        tiers = await crud.tiers_by_participant(session, **scope)
    assert found.program_ids == {pid: [p.id for p in rows] for pid, rows in programs.items()}
    assert found.balances == balances
    assert found.counters == counters
    assert found.tiers == tiers
    full = ids[0]
    assert len(found.program_ids[full]) == 2
    assert len(found.balances[full]) == len(found.counters[full]) == len(found.tiers[full]) == 3
    gold = next(t for t in found.tiers[full] if t.level == "gold")
    assert (gold.rank, gold.benefits, gold.expires_at) == (
        7,
        {"lounge": True, "multiplier": 1.5, "points": 2**70 + 1},  # exact, past 64 bits
        START + timedelta(days=365),
    )
    assert ids[2] not in found.balances  # nothing held: absent, as from the per-kind queries


async def test_reads_only_the_kinds_asked_for(db: Database, org: IssuedKey) -> None:
    await _seed(db, org.organization_id)
    found = (await _page_state(db, org.organization_id, frozenset({StateKind.COUNTERS}))).state
    assert found.counters
    assert (found.program_ids, found.balances, found.tiers) == ({}, {}, {})
    assert (await _page_state(db, org.organization_id, frozenset())).state == crud.StateDocuments()


async def test_only_the_pages_participants_state_is_read(db: Database, org: IssuedKey) -> None:
    ours = await _seed(db, org.organization_id)
    other = await issue_key(db, organization_name=f"org-{uuid.uuid4().hex}")
    theirs = await _seed(db, other.organization_id)
    listed = await _page_state(db, org.organization_id)
    assert {row.id for row in listed.rows} == set(ours)
    held = (listed.state.program_ids, listed.state.balances, listed.state.counters)
    assert all(set(by_participant) <= set(ours) for by_participant in held)
    assert set((await _page_state(db, other.organization_id)).state.balances) <= set(theirs)


async def test_every_kind_is_read_through_an_index(db: Database, org: IssuedKey) -> None:
    """The plan of the statement (issue 3: the main queries are served by indexes)."""
    await _seed(db, org.organization_id)
    with captured_statements(db, "participant_tiers") as captured:
        await _page_state(db, org.organization_id)
    plan = await explain(db, *captured[-1])
    if db.is_sqlite:
        assert "SCAN " not in plan, plan
        assert "TEMP B-TREE" not in plan, plan  # no sort step: the state is read for the page only
        tables = ("participants", "enrollments", "balances", "counters", "participant_tiers")
        for table in tables:
            assert f"SEARCH {table} USING" in plan, plan
    else:
        assert "Seq Scan" not in plan, plan
        assert "Sort" not in plan.replace("Sort Key", ""), plan
