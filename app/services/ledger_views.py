"""Reading the ledger: balances, a program's wallet, a participant's activity, journal entries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import false, select

from app import crud
from app.core.db import Database
from app.core.formats import format_timestamp
from app.crud import HeldBalance
from app.models import (
    ActionType,
    Asset,
    Bucket,
    IssuancePolicy,
    JournalEntry,
    Participant,
    Posting,
    ProgramBalance,
)
from app.services.cursors import CursorCodec, InvalidCursor
from app.services.errors import FieldError, NotFound, ValidationFailed
from app.services.pages import (
    Page,
    moment_problem,
    page_arguments,
    pages_by_parent,
    time_and_id,
)
from app.services.participants import get_participant
from app.services.text_rules import is_storable_text

__all__ = [
    "ActivityFilter",
    "EntryFilter",
    "EntryView",
    "activity_pages",
    "activity_position",
    "get_journal_entry",
    "list_journal_entries",
    "participant_activity",
    "participant_balances",
    "program_wallet",
]


async def participant_balances(
    db: Database,
    *,
    organization_id: uuid.UUID,
    participant_id: uuid.UUID,
    asset_id: uuid.UUID | None = None,
) -> list[HeldBalance]:
    await get_participant(db, organization_id=organization_id, participant_id=participant_id)
    async with db.lookup() as session:
        found = await crud.balances_by_participant(
            session, organization_id=organization_id, participant_ids=[participant_id]
        )
    rows = found.get(participant_id, [])
    return [row for row in rows if asset_id is None or row.asset_id == asset_id]


async def program_wallet(
    db: Database, *, organization_id: uuid.UUID, program_id: uuid.UUID
) -> list[tuple[Asset, ProgramBalance | None]]:
    """The program's PREFUNDED assets with their wallet balances (None: never funded)."""
    async with db.read() as session:
        program = await crud.get_program(
            session, organization_id=organization_id, program_id=program_id
        )
        if program is None:
            raise NotFound("no such program")
        linked = await crud.assets_by_program(
            session, organization_id=organization_id, program_ids=[program_id]
        )
        wallets = {}
        for asset in linked.get(program_id, []):
            if asset.issuance_policy is IssuancePolicy.PREFUNDED:
                wallets[asset.id] = await session.get(ProgramBalance, (program_id, asset.id))
    return [
        (asset, wallets[asset.id]) for asset in linked.get(program_id, []) if asset.id in wallets
    ]


_ACTIVITY = "activity"


@dataclass(frozen=True, slots=True)
class ActivityFilter:
    asset_id: uuid.UUID | None = None
    bucket: Bucket | None = None
    changed_from: datetime | None = None
    changed_to: datetime | None = None
    #: Only postings made by an event (none are, yet).
    made_by_event: bool = False


Position = tuple[datetime, uuid.UUID]


def activity_position(
    codec: CursorCodec, *, filter: ActivityFilter, limit: int, after: str | None
) -> Position | None:
    """Where a page of activity starts; `ValidationFailed` for bad arguments."""
    position, errors = page_arguments(
        codec, limit=limit, after=after, kind=_ACTIVITY, parse=time_and_id
    )
    for name, moment in (("from", filter.changed_from), ("to", filter.changed_to)):
        if moment is not None and (problem := moment_problem(name, moment)) is not None:
            errors.append(problem)
    if errors:
        raise ValidationFailed(errors)
    return position


async def activity_pages(
    db: Database,
    codec: CursorCodec,
    *,
    organization_id: uuid.UUID,
    participant_ids: list[uuid.UUID],
    filter: ActivityFilter,
    limit: int,
    position: Position | None,
) -> dict[uuid.UUID, Page[tuple[Posting, JournalEntry]]]:
    """A page of each participant's postings, newest first, in one statement."""
    async with db.lookup() as session:
        found = await crud.participant_postings(
            session,
            organization_id=organization_id,
            participant_ids=participant_ids,
            asset_id=filter.asset_id,
            bucket=filter.bucket,
            changed_from=filter.changed_from,
            changed_to=filter.changed_to,
            made_by_event=filter.made_by_event,
            after=position,
            limit=limit + 1,
        )
    return pages_by_parent(
        found,
        participant_ids,
        limit=limit,
        cursor=lambda row: codec.encode(
            _ACTIVITY, [format_timestamp(row[0].created_at), str(row[0].id)]
        ),
    )


async def participant_activity(
    db: Database,
    codec: CursorCodec,
    *,
    organization_id: uuid.UUID,
    participant_id: uuid.UUID,
    filter: ActivityFilter,
    limit: int = 50,
    after: str | None = None,
) -> Page[tuple[Posting, JournalEntry]]:
    """The postings on the participant's accounts, newest first."""
    position = activity_position(codec, filter=filter, limit=limit, after=after)
    await get_participant(db, organization_id=organization_id, participant_id=participant_id)
    pages = await activity_pages(
        db,
        codec,
        organization_id=organization_id,
        participant_ids=[participant_id],
        filter=filter,
        limit=limit,
        position=position,
    )
    return pages[participant_id]


@dataclass(frozen=True, slots=True)
class EntryView:
    entry: JournalEntry
    postings: list[Posting]


@dataclass(frozen=True, slots=True)
class EntryFilter:
    program_id: uuid.UUID | None = None
    participant_id: uuid.UUID | None = None
    #: The participant's external_id (instead of participant_id).
    external_id: str | None = None
    asset_id: uuid.UUID | None = None
    action_type: ActionType | None = None
    #: Entries with a posting in this bucket.
    bucket: Bucket | None = None
    changed_from: datetime | None = None
    changed_to: datetime | None = None
    #: Only entries made by an event, a rule, for a reference or a group: none are, yet.
    made_elsewhere: bool = False


_ENTRIES = "journal-entries"


async def list_journal_entries(
    db: Database,
    codec: CursorCodec,
    *,
    organization_id: uuid.UUID,
    filter: EntryFilter,
    limit: int = 50,
    after: str | None = None,
) -> Page[EntryView]:
    """The organization's journal entries with their postings, newest first."""
    position, errors = page_arguments(
        codec, limit=limit, after=after, kind=_ENTRIES, parse=_sequence
    )
    if filter.external_id is not None and not is_storable_text(filter.external_id):
        errors.append(FieldError(("external_id",), "invalid", "must be text without NUL"))
    for name, moment in (("from", filter.changed_from), ("to", filter.changed_to)):
        if moment is not None and (problem := moment_problem(name, moment)) is not None:
            errors.append(problem)
    if errors:
        raise ValidationFailed(errors)
    table = JournalEntry.__table__.c  # type: ignore[attr-defined]
    conditions = [
        table[name] == value
        for name in ("program_id", "participant_id", "asset_id", "action_type")
        if (value := getattr(filter, name)) is not None
    ]
    if filter.changed_from is not None:
        conditions.append(table.created_at >= filter.changed_from)
    if filter.changed_to is not None:
        conditions.append(table.created_at < filter.changed_to)
    if filter.bucket is not None:
        postings = Posting.__table__.c  # type: ignore[attr-defined]
        conditions.append(
            select(postings.id)
            .where(postings.journal_entry_id == table.id, postings.bucket == filter.bucket)
            .exists()
        )
    if filter.external_id is not None:
        conditions.append(
            table.participant_id
            == select(Participant.id)  # type: ignore[call-overload]
            .where(
                Participant.organization_id == organization_id,
                Participant.external_id == filter.external_id,
            )
            .scalar_subquery()
        )
    if filter.made_elsewhere:
        conditions.append(false())
    async with db.read() as session:
        rows = await crud.list_journal_entries(
            session,
            organization_id=organization_id,
            conditions=conditions,
            after=position,
            limit=limit + 1,
        )
        shown = rows[:limit]
        postings = await crud.postings_by_entry(
            session, organization_id=organization_id, entry_ids=[row.id for row in shown]
        )
    return Page(
        items=[EntryView(entry=row, postings=postings.get(row.id, [])) for row in shown],
        cursors=[codec.encode(_ENTRIES, [row.sequence]) for row in shown],
        has_more=len(rows) > limit,
    )


def _sequence(key: list[Any]) -> tuple[int]:
    if len(key) != 1 or not isinstance(key[0], int) or isinstance(key[0], bool):
        raise InvalidCursor("is not a cursor this API issued")
    return (key[0],)


async def get_journal_entry(
    db: Database, *, organization_id: uuid.UUID, entry_id: uuid.UUID
) -> EntryView:
    async with db.read() as session:
        entry = await session.get(JournalEntry, entry_id)
        if entry is None or entry.organization_id != organization_id:
            raise NotFound("no such journal entry")
        postings = await crud.postings_by_entry(
            session, organization_id=organization_id, entry_ids=[entry_id]
        )
    return EntryView(entry=entry, postings=postings.get(entry_id, []))
