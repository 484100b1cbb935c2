"""double-entry ledger

Revision ID: c8d39ca40ca4
Revises: ca2ef0948e3f
Create Date: 2026-11-28 01:02:28.074407
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.core.sqltypes

revision: str = "c8d39ca40ca4"
down_revision: str | None = "ca2ef0948e3f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "journal_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column(
            "action_type",
            sa.Enum(
                "CREDIT",
                "DEBIT",
                "HOLD",
                "RELEASE",
                "FORFEIT",
                "FUND",
                "BURN",
                name="actiontype",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("asset_id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=True),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=True),
        sa.Column(
            "response",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("previous_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", app.core.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_api_key_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_journal_entries_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_entries")),
        sa.UniqueConstraint(
            "id", "organization_id", name=op.f("uq_journal_entries_id_organization_id")
        ),
        sa.UniqueConstraint(
            "organization_id",
            "program_id",
            "idempotency_key",
            name=op.f("uq_journal_entries_organization_id_program_id_idempotency_key"),
        ),
        sa.UniqueConstraint(
            "organization_id", "sequence", name=op.f("uq_journal_entries_organization_id_sequence")
        ),
    )
    with op.batch_alter_table("journal_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_journal_entries_org_created", ["organization_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_journal_entries_org_participant",
            ["organization_id", "participant_id", "created_at", "id"],
            unique=False,
        )

    op.create_table(
        "ledger_heads",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_ledger_heads_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organization_id", name=op.f("pk_ledger_heads")),
    )
    op.create_table(
        "postings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("journal_entry_id", sa.Uuid(), nullable=False),
        sa.Column(
            "entity_type",
            sa.Enum(
                "PARTICIPANT", "PROGRAM", "SYSTEM", name="entitytype", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("entity_id", sa.Uuid(), nullable=True),
        sa.Column(
            "system_account",
            sa.Enum(
                "SYSTEM_ISSUANCE",
                "SYSTEM_BREAKAGE",
                "SYSTEM_REDEMPTION",
                name="systemaccount",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("asset_id", sa.Uuid(), nullable=False),
        sa.Column(
            "bucket",
            sa.Enum("AVAILABLE", "HELD", "DEFERRED", name="bucket", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("amount", app.core.sqltypes.ExactDecimal(), nullable=False),
        sa.Column("created_at", app.core.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["journal_entry_id", "organization_id"],
            ["journal_entries.id", "journal_entries.organization_id"],
            name=op.f("fk_postings_journal_entry_id_organization_id_journal_entries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_postings_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_postings")),
    )
    with op.batch_alter_table("postings", schema=None) as batch_op:
        batch_op.create_index("ix_postings_entry", ["journal_entry_id"], unique=False)
        batch_op.create_index(
            "ix_postings_org_entity_created",
            ["organization_id", "entity_id", "created_at", "id"],
            unique=False,
        )

    op.create_table(
        "program_balances",
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("asset_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("available", app.core.sqltypes.ExactDecimal(), nullable=False),
        sa.Column("deferred", app.core.sqltypes.ExactDecimal(), nullable=False),
        sa.Column("held", app.core.sqltypes.ExactDecimal(), nullable=False),
        sa.Column("updated_at", app.core.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_program_balances_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["program_id", "organization_id"],
            ["programs.id", "programs.organization_id"],
            name=op.f("fk_program_balances_program_id_organization_id_programs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("program_id", "asset_id", name=op.f("pk_program_balances")),
    )


def downgrade() -> None:
    op.drop_table("program_balances")
    with op.batch_alter_table("postings", schema=None) as batch_op:
        batch_op.drop_index("ix_postings_org_entity_created")
        batch_op.drop_index("ix_postings_entry")

    op.drop_table("postings")
    op.drop_table("ledger_heads")
    with op.batch_alter_table("journal_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_journal_entries_org_participant")
        batch_op.drop_index("ix_journal_entries_org_created")

    op.drop_table("journal_entries")
