"""state history and participant tier times

Revision ID: ca2ef0948e3f
Revises: e0aea186d9d2
Create Date: 2026-11-28 00:36:52.260346
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.sqltypes

revision: str = "ca2ef0948e3f"
down_revision: str | None = "e0aea186d9d2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "state_history",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column(
            "state_type",
            sa.Enum(
                "TAG",
                "COUNTER",
                "ATTRIBUTE",
                "TIER",
                name="statetype",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column(
            "operation",
            sa.Enum(
                "SET",
                "DELETE",
                "ADD",
                "REMOVE",
                "AUTO_RESET",
                name="stateoperation",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("old_value", sa.String(length=1000), nullable=True),
        sa.Column("new_value", sa.String(length=1000), nullable=True),
        sa.Column("program_id", sa.Uuid(), nullable=True),
        sa.Column("changed_at", app.core.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("changed_by_api_key_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_state_history_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id", "organization_id"],
            ["participants.id", "participants.organization_id"],
            name=op.f("fk_state_history_participant_id_organization_id_participants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_state_history")),
    )
    with op.batch_alter_table("state_history", schema=None) as batch_op:
        batch_op.create_index(
            "ix_state_history_org_participant_changed",
            ["organization_id", "participant_id", "changed_at", "id"],
            unique=False,
        )

    with op.batch_alter_table("participant_tiers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("acquired_at", app.core.sqltypes.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("expires_at", app.core.sqltypes.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("participant_tiers", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
        batch_op.drop_column("acquired_at")

    with op.batch_alter_table("state_history", schema=None) as batch_op:
        batch_op.drop_index("ix_state_history_org_participant_changed")

    op.drop_table("state_history")
