"""child tables indexed by organization and participant

Revision ID: e99124c91bbd
Revises: 286bcb447c10
Create Date: 2026-11-27 21:06:47.207302
"""

from collections.abc import Sequence

from alembic import op

revision: str = "e99124c91bbd"
down_revision: str | None = "286bcb447c10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("balances", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_balances_organization_id"))
        batch_op.create_index(
            "ix_balances_org_participant", ["organization_id", "participant_id"], unique=False
        )

    with op.batch_alter_table("counters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_counters_organization_id"))
        batch_op.create_index(
            "ix_counters_org_participant", ["organization_id", "participant_id"], unique=False
        )

    with op.batch_alter_table("enrollments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enrollments_organization_id"))
        batch_op.create_index(
            "ix_enrollments_org_participant", ["organization_id", "participant_id"], unique=False
        )

    with op.batch_alter_table("participant_tiers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_participant_tiers_organization_id"))
        batch_op.create_index(
            "ix_participant_tiers_org_participant",
            ["organization_id", "participant_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("participant_tiers", schema=None) as batch_op:
        batch_op.drop_index("ix_participant_tiers_org_participant")
        batch_op.create_index(
            batch_op.f("ix_participant_tiers_organization_id"), ["organization_id"], unique=False
        )

    with op.batch_alter_table("enrollments", schema=None) as batch_op:
        batch_op.drop_index("ix_enrollments_org_participant")
        batch_op.create_index(
            batch_op.f("ix_enrollments_organization_id"), ["organization_id"], unique=False
        )

    with op.batch_alter_table("counters", schema=None) as batch_op:
        batch_op.drop_index("ix_counters_org_participant")
        batch_op.create_index(
            batch_op.f("ix_counters_organization_id"), ["organization_id"], unique=False
        )

    with op.batch_alter_table("balances", schema=None) as batch_op:
        batch_op.drop_index("ix_balances_org_participant")
        batch_op.create_index(
            batch_op.f("ix_balances_organization_id"), ["organization_id"], unique=False
        )
