"""Tables. Every row belongs to one organization; child rows reference their parent *within* that
organization (composite foreign keys), so the database itself refuses cross-tenant links."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, ForeignKey, ForeignKeyConstraint, Index, String, UniqueConstraint
from sqlalchemy import Enum as SAEnum
from sqlmodel import Field, SQLModel

from app.core.ids import time_ordered_uuid
from app.core.sqltypes import ExactDecimal, JSONDocument, UTCDateTime

__all__ = [
    "ActionType",
    "ApiKey",
    "Asset",
    "AssetStatus",
    "Balance",
    "Bucket",
    "Counter",
    "Enrollment",
    "EnrollmentStatus",
    "EntityType",
    "InventoryMode",
    "IssuancePolicy",
    "JournalEntry",
    "LedgerHead",
    "OnUnknownParticipant",
    "Organization",
    "Participant",
    "ParticipantStatus",
    "ParticipantTier",
    "Posting",
    "Program",
    "ProgramAsset",
    "ProgramBalance",
    "ProgramStatus",
    "StateChange",
    "StateOperation",
    "StateType",
    "SystemAccount",
    "Tier",
    "TierLevel",
    "TierStatus",
    "utcnow",
]


# Stable constraint names, so migrations can refer to them on both databases.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class ParticipantStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    CLOSED = "CLOSED"


class ProgramStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    ARCHIVED = "ARCHIVED"


class EnrollmentStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"


def _enum(enum_class: type[enum.Enum], length: int = 16) -> SAEnum:
    # Plain VARCHAR on both databases: adding a member later needs no ALTER TYPE.
    return SAEnum(enum_class, native_enum=False, length=length, validate_strings=True)


def _org_fk(*, index: bool = True) -> Column[uuid.UUID]:
    return Column(ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=index)


def _created() -> Column[datetime]:
    return Column(UTCDateTime(), nullable=False)


class Organization(SQLModel, table=True):
    __tablename__ = "organizations"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(sa_column=Column(String(255), nullable=False, unique=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_created())


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organization_id: uuid.UUID = Field(sa_column=_org_fk())
    #: SHA-256 of the whole key, hex. The key itself is never stored.
    key_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    #: The first characters of the key, to tell keys apart in listings.
    prefix: str = Field(sa_column=Column(String(16), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_created())
    last_used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class OnUnknownParticipant(enum.StrEnum):
    """What an event for an unknown external_id does: create the participant, or fail."""

    CREATE = "CREATE"
    REJECT = "REJECT"


class Program(SQLModel, table=True):
    __tablename__ = "programs"
    __table_args__ = (
        UniqueConstraint("id", "organization_id"),
        # Listing: newest first (or oldest), by name; archived ones are filtered out by default.
        Index("ix_programs_org_created", "organization_id", "created_at", "id"),
        Index("ix_programs_org_name", "organization_id", "name", "id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organization_id: uuid.UUID = Field(sa_column=_org_fk())
    name: str = Field(sa_column=Column(String(255), nullable=False))
    description: str | None = Field(default=None, sa_column=Column(String(1000)))
    status: ProgramStatus = Field(
        default=ProgramStatus.ACTIVE, sa_column=Column(_enum(ProgramStatus), nullable=False)
    )
    on_unknown_participant: str = Field(
        default="CREATE", sa_column=Column(String(16), nullable=False)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=_created())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_created())
    #: When the program was archived; cleared if it becomes ACTIVE or SUSPENDED again.
    deleted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class AssetStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    #: One-way: an archived asset takes no new ledger entries.
    ARCHIVED = "ARCHIVED"


class InventoryMode(enum.StrEnum):
    """SIMPLE keeps one running balance; LOT one lot per credit, consumed first in, first out."""

    SIMPLE = "SIMPLE"
    LOT = "LOT"


class IssuancePolicy(enum.StrEnum):
    """UNLIMITED mints from the system issuance account; PREFUNDED draws on the program wallet."""

    UNLIMITED = "UNLIMITED"
    PREFUNDED = "PREFUNDED"


class Asset(SQLModel, table=True):
    """What balances are counted in (points, miles, stamps). Belongs to the organization and may
    be linked to several programs (`ProgramAsset`)."""

    __tablename__ = "assets"
    __table_args__ = (
        UniqueConstraint("id", "organization_id"),
        UniqueConstraint("organization_id", "symbol"),
        Index("ix_assets_org_created", "organization_id", "created_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organization_id: uuid.UUID = Field(sa_column=_org_fk())
    name: str = Field(sa_column=Column(String(255), nullable=False))
    symbol: str = Field(sa_column=Column(String(16), nullable=False))
    inventory_mode: InventoryMode = Field(
        default=InventoryMode.SIMPLE,
        sa_column=Column(_enum(InventoryMode), nullable=False, server_default="SIMPLE"),
    )
    issuance_policy: IssuancePolicy = Field(
        default=IssuancePolicy.UNLIMITED,
        sa_column=Column(_enum(IssuancePolicy), nullable=False, server_default="UNLIMITED"),
    )
    scale: int = Field(default=2, nullable=False)
    #: The largest amount one credit or debit may move; None means no limit.
    max_transaction_amount: Decimal | None = Field(default=None, sa_column=Column(ExactDecimal()))
    status: AssetStatus = Field(
        default=AssetStatus.ACTIVE,
        sa_column=Column(_enum(AssetStatus), nullable=False, server_default="ACTIVE"),
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=_created())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_created())
    #: When the asset was archived.
    deleted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class ProgramAsset(SQLModel, table=True):
    """An asset linked to a program: the program's participants may hold it."""

    __tablename__ = "program_assets"
    __table_args__ = (
        ForeignKeyConstraint(
            ["program_id", "organization_id"],
            ["programs.id", "programs.organization_id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["asset_id", "organization_id"],
            ["assets.id", "assets.organization_id"],
            ondelete="CASCADE",
        ),
        Index("ix_program_assets_org_asset", "organization_id", "asset_id"),
    )

    program_id: uuid.UUID = Field(primary_key=True)
    asset_id: uuid.UUID = Field(primary_key=True)
    organization_id: uuid.UUID = Field(sa_column=_org_fk(index=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_created())


class TierStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    #: One-way: an archived tier cannot be changed or archived again.
    ARCHIVED = "ARCHIVED"


class Tier(SQLModel, table=True):
    """A tier definition of a program (e.g. `status` with levels silver < gold < platinum)."""

    __tablename__ = "tiers"
    __table_args__ = (
        UniqueConstraint("id", "organization_id"),
        # Also serves listing a program's tiers by key.
        UniqueConstraint("organization_id", "program_id", "key"),
        ForeignKeyConstraint(
            ["program_id", "organization_id"],
            ["programs.id", "programs.organization_id"],
            ondelete="CASCADE",
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organization_id: uuid.UUID = Field(sa_column=_org_fk(index=False))
    program_id: uuid.UUID = Field(nullable=False)
    key: str = Field(sa_column=Column(String(64), nullable=False))
    display_name: str | None = Field(default=None, sa_column=Column(String(255)))
    status: TierStatus = Field(
        default=TierStatus.ACTIVE, sa_column=Column(_enum(TierStatus), nullable=False)
    )
    archived_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_created())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_created())


class TierLevel(SQLModel, table=True):
    """One level of a tier; a higher rank is better."""

    __tablename__ = "tier_levels"
    __table_args__ = (
        UniqueConstraint("tier_id", "key"),
        UniqueConstraint("tier_id", "rank"),
        ForeignKeyConstraint(
            ["tier_id", "organization_id"],
            ["tiers.id", "tiers.organization_id"],
            ondelete="CASCADE",
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    tier_id: uuid.UUID = Field(nullable=False)
    organization_id: uuid.UUID = Field(sa_column=_org_fk(index=False))
    key: str = Field(sa_column=Column(String(64), nullable=False))
    rank: int = Field(nullable=False)
    display_name: str | None = Field(default=None, sa_column=Column(String(255)))
    benefits: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONDocument, nullable=False)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=_created())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_created())


class Participant(SQLModel, table=True):
    __tablename__ = "participants"
    __table_args__ = (
        UniqueConstraint("organization_id", "external_id"),
        UniqueConstraint("id", "organization_id"),
        # Keyset pages: newest/oldest first, and by status (then creation time).
        Index("ix_participants_org_created", "organization_id", "created_at", "id"),
        Index(
            "ix_participants_org_status_created", "organization_id", "status", "created_at", "id"
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organization_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False)
    )
    external_id: str = Field(sa_column=Column(String(255), nullable=False))
    status: ParticipantStatus = Field(
        default=ParticipantStatus.ACTIVE,
        sa_column=Column(_enum(ParticipantStatus), nullable=False),
    )
    email: str | None = Field(default=None, sa_column=Column(String(255)))
    phone: str | None = Field(default=None, sa_column=Column(String(50)))
    first_name: str | None = Field(default=None, sa_column=Column(String(255)))
    last_name: str | None = Field(default=None, sa_column=Column(String(255)))
    display_name: str | None = Field(default=None, sa_column=Column(String(255)))
    attributes: dict[str, str] = Field(
        default_factory=dict, sa_column=Column(JSONDocument, nullable=False)
    )
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSONDocument, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_created())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_created())


def _owned_by_participant(table: str) -> tuple[ForeignKeyConstraint | Index, ...]:
    return (
        ForeignKeyConstraint(
            ["participant_id", "organization_id"],
            ["participants.id", "participants.organization_id"],
            ondelete="CASCADE",
        ),
        # Serves the loaders' `organization_id = ? AND participant_id IN (…)`. An index on
        # organization_id alone would lure SQLite's planner into scanning the whole tenant.
        Index(f"ix_{table}_org_participant", "organization_id", "participant_id"),
    )


class Enrollment(SQLModel, table=True):
    """A participant's membership of a program; only ACTIVE ones count as enrolled."""

    __tablename__ = "enrollments"
    __table_args__ = (
        *_owned_by_participant("enrollments"),
        ForeignKeyConstraint(
            ["program_id", "organization_id"],
            ["programs.id", "programs.organization_id"],
            ondelete="CASCADE",
        ),
        # A program's participants, most recently enrolled first (Program.participants).
        Index(
            "ix_enrollments_org_program_created",
            "organization_id",
            "program_id",
            "created_at",
            "participant_id",
        ),
    )

    participant_id: uuid.UUID = Field(primary_key=True)
    program_id: uuid.UUID = Field(primary_key=True)
    organization_id: uuid.UUID = Field(sa_column=_org_fk(index=False))
    status: EnrollmentStatus = Field(
        default=EnrollmentStatus.ACTIVE,
        sa_column=Column(_enum(EnrollmentStatus), nullable=False),
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=_created())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_created())


class Balance(SQLModel, table=True):
    """What a participant holds of one asset, per bucket."""

    __tablename__ = "balances"
    __table_args__ = (
        *_owned_by_participant("balances"),
        ForeignKeyConstraint(
            ["asset_id", "organization_id"],
            ["assets.id", "assets.organization_id"],
            ondelete="CASCADE",
        ),
        Index("ix_balances_asset_id", "asset_id"),
    )

    participant_id: uuid.UUID = Field(primary_key=True)
    asset_id: uuid.UUID = Field(primary_key=True)
    organization_id: uuid.UUID = Field(sa_column=_org_fk(index=False))
    available: Decimal = Field(default=Decimal(0), sa_column=Column(ExactDecimal(), nullable=False))
    deferred: Decimal = Field(default=Decimal(0), sa_column=Column(ExactDecimal(), nullable=False))
    held: Decimal = Field(default=Decimal(0), sa_column=Column(ExactDecimal(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_created())


class Counter(SQLModel, table=True):
    """A numeric accumulator keyed by name; `reset_after` is a Go-style duration such as `720h`."""

    __tablename__ = "counters"
    __table_args__ = _owned_by_participant("counters")

    participant_id: uuid.UUID = Field(primary_key=True)
    key: str = Field(sa_column=Column(String(255), primary_key=True))
    organization_id: uuid.UUID = Field(sa_column=_org_fk(index=False))
    value: Decimal = Field(default=Decimal(0), sa_column=Column(ExactDecimal(), nullable=False))
    reset_after: str | None = Field(default=None, sa_column=Column(String(32)))
    last_reset_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_created())


class ParticipantTier(SQLModel, table=True):
    """The level a participant holds in one tier of one program."""

    __tablename__ = "participant_tiers"
    __table_args__ = (
        *_owned_by_participant("participant_tiers"),
        ForeignKeyConstraint(
            ["program_id", "organization_id"],
            ["programs.id", "programs.organization_id"],
            ondelete="CASCADE",
        ),
    )

    participant_id: uuid.UUID = Field(primary_key=True)
    program_id: uuid.UUID = Field(primary_key=True)
    tier_key: str = Field(sa_column=Column(String(64), primary_key=True))
    organization_id: uuid.UUID = Field(sa_column=_org_fk(index=False))
    level: str = Field(sa_column=Column(String(64), nullable=False))
    #: A copy of the level's rank when it was set; reads take the rank from the tier definition.
    rank: int = Field(nullable=False)
    acquired_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    #: When the level lapses; None means never.
    expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_created())


class StateType(enum.StrEnum):
    TAG = "tag"
    COUNTER = "counter"
    ATTRIBUTE = "attribute"
    TIER = "tier"


class StateOperation(enum.StrEnum):
    SET = "set"
    DELETE = "delete"
    ADD = "add"
    REMOVE = "remove"
    AUTO_RESET = "auto_reset"


class StateChange(SQLModel, table=True):
    """One change to a participant's tags, attributes, counters or tier levels (append-only)."""

    __tablename__ = "state_history"
    __table_args__ = (
        ForeignKeyConstraint(
            ["participant_id", "organization_id"],
            ["participants.id", "participants.organization_id"],
            ondelete="CASCADE",
        ),
        # A participant's history, newest first.
        Index(
            "ix_state_history_org_participant_changed",
            "organization_id",
            "participant_id",
            "changed_at",
            "id",
        ),
    )

    id: uuid.UUID = Field(default_factory=time_ordered_uuid, primary_key=True)
    organization_id: uuid.UUID = Field(sa_column=_org_fk(index=False))
    participant_id: uuid.UUID = Field(nullable=False)
    state_type: StateType = Field(sa_column=Column(_enum(StateType), nullable=False))
    #: The tag, the attribute or counter key, or the tier key.
    key: str = Field(sa_column=Column(String(255), nullable=False))
    operation: StateOperation = Field(sa_column=Column(_enum(StateOperation), nullable=False))
    old_value: str | None = Field(default=None, sa_column=Column(String(1000)))
    new_value: str | None = Field(default=None, sa_column=Column(String(1000)))
    #: For tier changes: the program whose tier it is.
    program_id: uuid.UUID | None = Field(default=None)
    changed_at: datetime = Field(sa_column=_created())
    #: The API key whose request made the change.
    changed_by_api_key_id: uuid.UUID | None = Field(default=None)


class Bucket(enum.StrEnum):
    """AVAILABLE is spendable, HELD reserved, DEFERRED not yet matured."""

    AVAILABLE = "AVAILABLE"
    HELD = "HELD"
    DEFERRED = "DEFERRED"


class EntityType(enum.StrEnum):
    PARTICIPANT = "PARTICIPANT"
    PROGRAM = "PROGRAM"
    SYSTEM = "SYSTEM"


class SystemAccount(enum.StrEnum):
    SYSTEM_ISSUANCE = "SYSTEM_ISSUANCE"
    SYSTEM_BREAKAGE = "SYSTEM_BREAKAGE"
    SYSTEM_REDEMPTION = "SYSTEM_REDEMPTION"


class ActionType(enum.StrEnum):
    CREDIT = "CREDIT"
    DEBIT = "DEBIT"
    HOLD = "HOLD"
    RELEASE = "RELEASE"
    FORFEIT = "FORFEIT"
    FUND = "FUND"
    BURN = "BURN"


class LedgerHead(SQLModel, table=True):
    """The end of an organization's hash chain; locked by every entry, so entries of one
    organization are appended one at a time."""

    __tablename__ = "ledger_heads"

    organization_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    )
    sequence: int = Field(default=0, nullable=False)
    entry_hash: str = Field(default="0" * 64, sa_column=Column(String(64), nullable=False))


class JournalEntry(SQLModel, table=True):
    """One balanced movement of value: two or more postings summing to zero per asset.
    Append-only; `entry_hash` seals it to the organization's previous entry."""

    __tablename__ = "journal_entries"
    __table_args__ = (
        UniqueConstraint("organization_id", "sequence"),
        UniqueConstraint("organization_id", "program_id", "idempotency_key"),
        UniqueConstraint("id", "organization_id"),
        Index("ix_journal_entries_org_created", "organization_id", "created_at", "id"),
        Index(
            "ix_journal_entries_org_participant",
            "organization_id",
            "participant_id",
            "created_at",
            "id",
        ),
    )

    id: uuid.UUID = Field(default_factory=time_ordered_uuid, primary_key=True)
    organization_id: uuid.UUID = Field(sa_column=_org_fk(index=False))
    sequence: int = Field(nullable=False)
    action_type: ActionType = Field(sa_column=Column(_enum(ActionType), nullable=False))
    program_id: uuid.UUID = Field(nullable=False)
    asset_id: uuid.UUID = Field(nullable=False)
    participant_id: uuid.UUID | None = Field(default=None)
    description: str = Field(sa_column=Column(String(500), nullable=False))
    idempotency_key: str | None = Field(default=None, sa_column=Column(String(255)))
    #: SHA-256 of the request's meaning, to tell a replay from a conflicting reuse of its key.
    request_hash: str | None = Field(default=None, sa_column=Column(String(64)))
    #: The answer given, returned again to a replay.
    response: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONDocument))
    previous_hash: str = Field(sa_column=Column(String(64), nullable=False))
    entry_hash: str = Field(sa_column=Column(String(64), nullable=False))
    created_at: datetime = Field(sa_column=_created())
    created_by_api_key_id: uuid.UUID | None = Field(default=None)


class Posting(SQLModel, table=True):
    """One side of a journal entry: a signed amount on one account (entity, asset, bucket)."""

    __tablename__ = "postings"
    __table_args__ = (
        ForeignKeyConstraint(
            ["journal_entry_id", "organization_id"],
            ["journal_entries.id", "journal_entries.organization_id"],
            ondelete="CASCADE",
        ),
        Index("ix_postings_entry", "journal_entry_id"),
        # A participant's (or program's) activity, newest first.
        Index("ix_postings_org_entity_created", "organization_id", "entity_id", "created_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=time_ordered_uuid, primary_key=True)
    organization_id: uuid.UUID = Field(sa_column=_org_fk(index=False))
    journal_entry_id: uuid.UUID = Field(nullable=False)
    entity_type: EntityType = Field(sa_column=Column(_enum(EntityType), nullable=False))
    #: The participant or program; None for a system account.
    entity_id: uuid.UUID | None = Field(default=None)
    system_account: SystemAccount | None = Field(
        default=None, sa_column=Column(_enum(SystemAccount, length=32))
    )
    asset_id: uuid.UUID = Field(nullable=False)
    bucket: Bucket = Field(sa_column=Column(_enum(Bucket), nullable=False))
    amount: Decimal = Field(sa_column=Column(ExactDecimal(), nullable=False))
    created_at: datetime = Field(sa_column=_created())


class ProgramBalance(SQLModel, table=True):
    """A program's wallet of one (PREFUNDED) asset: a projection of its postings."""

    __tablename__ = "program_balances"
    __table_args__ = (
        ForeignKeyConstraint(
            ["program_id", "organization_id"],
            ["programs.id", "programs.organization_id"],
            ondelete="CASCADE",
        ),
    )

    program_id: uuid.UUID = Field(primary_key=True)
    asset_id: uuid.UUID = Field(primary_key=True)
    organization_id: uuid.UUID = Field(sa_column=_org_fk(index=False))
    available: Decimal = Field(default=Decimal(0), sa_column=Column(ExactDecimal(), nullable=False))
    deferred: Decimal = Field(default=Decimal(0), sa_column=Column(ExactDecimal(), nullable=False))
    held: Decimal = Field(default=Decimal(0), sa_column=Column(ExactDecimal(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_created())
