"""assets, program asset links and tier definitions

Revision ID: e0aea186d9d2
Revises: 2179ff4f1c1c
Create Date: 2026-11-28 00:13:15.210112
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.core.sqltypes

revision: str = "e0aea186d9d2"
down_revision: str | None = "2179ff4f1c1c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "program_assets",
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("asset_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", app.core.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id", "organization_id"],
            ["assets.id", "assets.organization_id"],
            name=op.f("fk_program_assets_asset_id_organization_id_assets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_program_assets_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["program_id", "organization_id"],
            ["programs.id", "programs.organization_id"],
            name=op.f("fk_program_assets_program_id_organization_id_programs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("program_id", "asset_id", name=op.f("pk_program_assets")),
    )
    with op.batch_alter_table("program_assets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_program_assets_org_asset", ["organization_id", "asset_id"], unique=False
        )

    op.create_table(
        "tiers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=True),
        sa.Column(
            "status",
            sa.Enum("ACTIVE", "ARCHIVED", name="tierstatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("archived_at", app.core.sqltypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", app.core.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.core.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_tiers_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["program_id", "organization_id"],
            ["programs.id", "programs.organization_id"],
            name=op.f("fk_tiers_program_id_organization_id_programs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tiers")),
        sa.UniqueConstraint("id", "organization_id", name=op.f("uq_tiers_id_organization_id")),
        sa.UniqueConstraint(
            "organization_id",
            "program_id",
            "key",
            name=op.f("uq_tiers_organization_id_program_id_key"),
        ),
    )
    op.create_table(
        "tier_levels",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tier_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=True),
        sa.Column(
            "benefits",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", app.core.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.core.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_tier_levels_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tier_id", "organization_id"],
            ["tiers.id", "tiers.organization_id"],
            name=op.f("fk_tier_levels_tier_id_organization_id_tiers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tier_levels")),
        sa.UniqueConstraint("tier_id", "key", name=op.f("uq_tier_levels_tier_id_key")),
        sa.UniqueConstraint("tier_id", "rank", name=op.f("uq_tier_levels_tier_id_rank")),
    )
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "inventory_mode",
                sa.Enum("SIMPLE", "LOT", name="inventorymode", native_enum=False, length=16),
                server_default="SIMPLE",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column(
                "issuance_policy",
                sa.Enum(
                    "UNLIMITED", "PREFUNDED", name="issuancepolicy", native_enum=False, length=16
                ),
                server_default="UNLIMITED",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column("max_transaction_amount", app.core.sqltypes.ExactDecimal(), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "status",
                sa.Enum("ACTIVE", "ARCHIVED", name="assetstatus", native_enum=False, length=16),
                server_default="ACTIVE",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column("deleted_at", app.core.sqltypes.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            "ix_assets_org_created", ["organization_id", "created_at", "id"], unique=False
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_assets_organization_id_symbol"), ["organization_id", "symbol"]
        )

    with op.batch_alter_table("enrollments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enrollments_program_id"))
        batch_op.create_index(
            "ix_enrollments_org_program_created",
            ["organization_id", "program_id", "created_at", "participant_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("enrollments", schema=None) as batch_op:
        batch_op.drop_index("ix_enrollments_org_program_created")
        batch_op.create_index(batch_op.f("ix_enrollments_program_id"), ["program_id"], unique=False)

    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_assets_organization_id_symbol"), type_="unique")
        batch_op.drop_index("ix_assets_org_created")
        batch_op.drop_column("deleted_at")
        batch_op.drop_column("status")
        batch_op.drop_column("max_transaction_amount")
        batch_op.drop_column("issuance_policy")
        batch_op.drop_column("inventory_mode")

    op.drop_table("tier_levels")
    op.drop_table("tiers")
    with op.batch_alter_table("program_assets", schema=None) as batch_op:
        batch_op.drop_index("ix_program_assets_org_asset")

    op.drop_table("program_assets")
