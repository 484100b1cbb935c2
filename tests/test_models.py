"""What the database itself enforces: tenancy-safe foreign keys, and SQLite's tuning."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.core.db import Database
from app.models import Enrollment, Participant, Program
from app.services.auth import IssuedKey, issue_key


async def test_child_rows_cannot_cross_organizations(db: Database, org: IssuedKey) -> None:
    other = await issue_key(db, organization_name=f"other-{uuid.uuid4().hex}")
    async with db.transaction() as session:
        participant = Participant(organization_id=org.organization_id, external_id="fk")
        foreign_program = Program(organization_id=other.organization_id, name="Theirs")
        session.add_all([participant, foreign_program])
    with pytest.raises(IntegrityError):
        async with db.transaction() as session:
            session.add(
                Enrollment(
                    participant_id=participant.id,
                    program_id=foreign_program.id,
                    organization_id=org.organization_id,
                )
            )


async def test_sqlite_connections_are_tuned(db: Database) -> None:
    if not db.is_sqlite:
        pytest.skip("SQLite only")
    async with db.read() as session:
        pragmas = {
            name: (await session.execute(text(f"PRAGMA {name}"))).scalar_one()
            for name in (
                "journal_mode",
                "busy_timeout",
                "synchronous",
                "foreign_keys",
                "cache_size",
            )
        }
    assert pragmas == {
        "journal_mode": "wal",
        "busy_timeout": 5000,
        "synchronous": 1,
        "foreign_keys": 1,
        "cache_size": -16 * 1024,  # KiB
    }
