"""The ledger: the chain head, journal entries and postings, balance projections."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import false, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.crud.dialect import insert_for
from app.crud.keyset import keyset_page
from app.crud.state import group_pairs
from app.models import (
    Balance,
    Bucket,
    EntityType,
    JournalEntry,
    LedgerHead,
    Participant,
    Posting,
    ProgramBalance,
)

__all__ = [
    "entry_by_idempotency_key",
    "list_journal_entries",
    "lock_head",
    "participant_balance",
    "participant_for_ledger",
    "participant_postings",
    "postings_by_entry",
    "program_balance",
]


async def lock_head(session: AsyncSession, *, organization_id: uuid.UUID) -> LedgerHead:
    """The organization's chain head, locked until the transaction ends: entries of one
    organization are appended one at a time (and every balance check sees the last one)."""
    locked = (
        select(LedgerHead)
        .where(col(LedgerHead.organization_id) == organization_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    head = await session.scalar(locked)
    if head is None:  # the organization's first entry: start its chain (once, whoever races)
        await session.execute(
            insert_for(session)(LedgerHead)
            .values(organization_id=organization_id, sequence=0, entry_hash="0" * 64)
            .on_conflict_do_nothing(index_elements=["organization_id"])
        )
        head = await session.scalar(locked)
    assert head is not None
    return head


async def entry_by_idempotency_key(
    session: AsyncSession, *, organization_id: uuid.UUID, program_id: uuid.UUID, key: str
) -> JournalEntry | None:
    return await session.scalar(
        select(JournalEntry).where(
            col(JournalEntry.organization_id) == organization_id,
            col(JournalEntry.program_id) == program_id,
            col(JournalEntry.idempotency_key) == key,
        )
    )


async def participant_for_ledger(
    session: AsyncSession, *, organization_id: uuid.UUID, participant_id: uuid.UUID
) -> Participant | None:
    """The participant, share-locked: a status change waits for the entry, or the entry sees it."""
    return await session.scalar(
        select(Participant)
        .where(
            col(Participant.id) == participant_id,
            col(Participant.organization_id) == organization_id,
        )
        .with_for_update(read=True, key_share=True)
    )


B = TypeVar("B", Balance, ProgramBalance)


async def _balance_row(
    session: AsyncSession, model: type[B], key: tuple[uuid.UUID, uuid.UUID], **row: Any
) -> B:
    """The balance row under `key`, created at zero (written at the asset's scale: "0.00")
    when missing, and flushed so that the next lookup by key finds it."""
    balance = await session.get(model, key)
    if balance is None:
        zero = Decimal(0).quantize(Decimal(1).scaleb(-row.pop("scale")))
        balance = model(**row, available=zero, deferred=zero, held=zero)
        session.add(balance)
        await session.flush()
    return balance


async def participant_balance(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    participant_id: uuid.UUID,
    asset_id: uuid.UUID,
    scale: int,
    now: datetime,
) -> Balance:
    """The participant's balance row of the asset (created at zero when missing)."""
    return await _balance_row(
        session,
        Balance,
        (participant_id, asset_id),
        participant_id=participant_id,
        asset_id=asset_id,
        organization_id=organization_id,
        scale=scale,
        updated_at=now,
    )


async def program_balance(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    program_id: uuid.UUID,
    asset_id: uuid.UUID,
    scale: int,
    now: datetime,
) -> ProgramBalance:
    """The program's wallet row of the asset (created at zero when missing)."""
    return await _balance_row(
        session,
        ProgramBalance,
        (program_id, asset_id),
        program_id=program_id,
        asset_id=asset_id,
        organization_id=organization_id,
        scale=scale,
        updated_at=now,
    )


async def postings_by_entry(
    session: AsyncSession, *, organization_id: uuid.UUID, entry_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Posting]]:
    """Each entry's postings, in the order they were written."""
    if not entry_ids:
        return {}
    rows = await session.scalars(
        select(Posting)
        .where(
            col(Posting.organization_id) == organization_id,
            col(Posting.journal_entry_id).in_(entry_ids),
        )
        .order_by(col(Posting.id))
    )
    return group_pairs((row.journal_entry_id, row) for row in rows)


_POSTING_KEY = [
    Posting.__table__.c.created_at,  # type: ignore[attr-defined]
    Posting.__table__.c.id,  # type: ignore[attr-defined]
]


async def participant_postings(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    participant_ids: Sequence[uuid.UUID],
    asset_id: uuid.UUID | None,
    bucket: Bucket | None,
    changed_from: datetime | None,
    changed_to: datetime | None,
    after: Sequence[Any] | None,
    limit: int,
    made_by_event: bool = False,
) -> dict[uuid.UUID, list[tuple[Posting, JournalEntry]]]:
    """A keyset page of the postings on each participant's accounts, newest first, each with
    its journal entry: one statement, a LIMITed arm per participant."""
    if not participant_ids:
        return {}
    table = Posting.__table__.c  # type: ignore[attr-defined]
    conditions = [table.organization_id == organization_id]
    if asset_id is not None:
        conditions.append(table.asset_id == asset_id)
    if bucket is not None:
        conditions.append(table.bucket == bucket)
    if changed_from is not None:
        conditions.append(table.created_at >= changed_from)
    if changed_to is not None:
        conditions.append(table.created_at < changed_to)
    if made_by_event:
        conditions.append(false())
    arms = []
    for participant_id in participant_ids:
        arm = select(table.id).where(
            *conditions,
            table.entity_type == EntityType.PARTICIPANT,
            table.entity_id == participant_id,
        )
        page = keyset_page(arm, _POSTING_KEY, descending=True, after=after, limit=limit)
        arms.append(select(*page.subquery().c))
    chosen = union_all(*arms).subquery()
    rows = await session.execute(
        select(Posting, JournalEntry)
        .join(chosen, col(Posting.id) == chosen.c.id)
        .join(JournalEntry, col(JournalEntry.id) == col(Posting.journal_entry_id))
        .order_by(col(Posting.created_at).desc(), col(Posting.id).desc())
    )
    found: dict[uuid.UUID, list[tuple[Posting, JournalEntry]]] = {}
    for posting, entry in rows:
        assert posting.entity_id is not None
        found.setdefault(posting.entity_id, []).append((posting, entry))
    return found


#: Entries in chain order: `sequence` is unique per organization (and indexed with it).
_ENTRY_KEY = [JournalEntry.__table__.c.sequence]  # type: ignore[attr-defined]


async def list_journal_entries(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    conditions: Sequence[Any],
    after: Sequence[Any] | None,
    limit: int,
) -> list[JournalEntry]:
    """A keyset page of the organization's journal entries, last in the chain first."""
    table = JournalEntry.__table__.c  # type: ignore[attr-defined]
    query = select(JournalEntry).where(table.organization_id == organization_id, *conditions)
    page = keyset_page(query, _ENTRY_KEY, descending=True, after=after, limit=limit)
    return list(await session.scalars(page))
