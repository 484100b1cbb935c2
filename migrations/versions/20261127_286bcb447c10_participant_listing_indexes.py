"""participant listing indexes

Revision ID: 286bcb447c10
Revises: 82581a48521e
Create Date: 2026-11-27 19:01:43.390400
"""

from collections.abc import Sequence

from alembic import op

revision: str = "286bcb447c10"
down_revision: str | None = "82581a48521e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.create_index(
            "ix_participants_org_created", ["organization_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_participants_org_status_created",
            ["organization_id", "status", "created_at", "id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_index("ix_participants_org_status_created")
        batch_op.drop_index("ix_participants_org_created")
