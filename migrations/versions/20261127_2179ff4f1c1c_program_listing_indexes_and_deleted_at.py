"""program listing indexes and deleted_at

Revision ID: 2179ff4f1c1c
Revises: e99124c91bbd
Create Date: 2026-11-27 22:47:20.698847
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.sqltypes

revision: str = "2179ff4f1c1c"
down_revision: str | None = "e99124c91bbd"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("deleted_at", app.core.sqltypes.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            "ix_programs_org_created", ["organization_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_programs_org_name", ["organization_id", "name", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.drop_index("ix_programs_org_name")
        batch_op.drop_index("ix_programs_org_created")
        batch_op.drop_column("deleted_at")
