"""The double-entry ledger (scrip-api-facts §11): appending entries, and checking the books.

Every movement of value is one journal entry of two or more postings that sum to zero per
asset. An account is (entity, asset, bucket), the entity a participant, a program wallet or a
system account. Entries are append-only and hash-chained per organization: `entry_hash` is the
SHA-256 of the entry (with its postings) and the previous entry's hash, so that any edit or
deletion breaks the chain. Participant `balances` and program wallet balances are projections
of the postings, written in the same transaction; `verify_ledger` recomputes both.

Appending locks the organization's chain head (`crud.lock_head`), so entries of one
organization are written one at a time: balance checks see every earlier entry, and a hundred
concurrent debits against a balance that covers fifty give exactly fifty successes.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app import crud
from app.core.db import Database
from app.core.formats import format_timestamp
from app.models import (
    ActionType,
    Balance,
    Bucket,
    EntityType,
    JournalEntry,
    LedgerHead,
    Posting,
    ProgramBalance,
    SystemAccount,
)
from app.services.actor import Actor
from app.services.amounts import EXACT, at_scale

__all__ = ["Leg", "append_entry", "canonical_amount", "request_hash", "verify_ledger"]

_GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class Leg:
    """One posting to be written: a signed amount on an account."""

    entity_type: EntityType
    entity_id: uuid.UUID | None
    system_account: SystemAccount | None
    bucket: Bucket
    amount: Decimal

    @classmethod
    def participant(cls, participant_id: uuid.UUID, bucket: Bucket, amount: Decimal) -> Leg:
        return cls(EntityType.PARTICIPANT, participant_id, None, bucket, amount)

    @classmethod
    def program(cls, program_id: uuid.UUID, amount: Decimal) -> Leg:
        return cls(EntityType.PROGRAM, program_id, None, Bucket.AVAILABLE, amount)

    @classmethod
    def system(cls, account: SystemAccount, amount: Decimal) -> Leg:
        return cls(EntityType.SYSTEM, None, account, Bucket.AVAILABLE, amount)


def _sum(amounts: Iterable[Decimal]) -> Decimal:
    total = Decimal(0)
    for amount in amounts:
        total = EXACT.add(total, amount)
    return total


def canonical_amount(amount: Decimal) -> str:
    """One spelling per value ("1.50" and "1.5" are one amount): for hashes."""
    text = format(amount.normalize(EXACT), "f")
    return "0" if text in ("-0", "0") else text


def request_hash(fields: dict[str, Any]) -> str:
    """SHA-256 of a request's meaning (key order and trailing zeros normalised away)."""
    normal = {k: canonical_amount(v) if isinstance(v, Decimal) else v for k, v in fields.items()}
    return hashlib.sha256(
        orjson.dumps(normal, option=orjson.OPT_SORT_KEYS, default=str)
    ).hexdigest()


def _entry_hash(previous: str, entry: JournalEntry, postings: Sequence[Posting]) -> str:
    sealed = {
        "previous": previous,
        "id": str(entry.id),
        "organization_id": str(entry.organization_id),
        "sequence": entry.sequence,
        "action_type": entry.action_type.value,
        "program_id": str(entry.program_id),
        "asset_id": str(entry.asset_id),
        "participant_id": str(entry.participant_id) if entry.participant_id else None,
        "description": entry.description,
        "created_at": format_timestamp(entry.created_at),
        "created_by_api_key_id": _text(entry.created_by_api_key_id),
        "idempotency_key": entry.idempotency_key,
        "request_hash": entry.request_hash,
        "response": entry.response,
        "postings": [
            [
                str(p.id),
                format_timestamp(p.created_at),
                p.entity_type.value,
                str(p.entity_id) if p.entity_id else None,
                p.system_account.value if p.system_account else None,
                str(p.asset_id),
                p.bucket.value,
                canonical_amount(p.amount),
            ]
            for p in postings
        ],
    }
    return hashlib.sha256(orjson.dumps(sealed, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _text(value: uuid.UUID | None) -> str | None:
    return str(value) if value is not None else None


_FIELD = {Bucket.AVAILABLE: "available", Bucket.HELD: "held", Bucket.DEFERRED: "deferred"}


async def append_entry(
    session: AsyncSession,
    head: LedgerHead,
    *,
    action_type: ActionType,
    program_id: uuid.UUID,
    asset_id: uuid.UUID,
    participant_id: uuid.UUID | None,
    description: str,
    legs: Sequence[Leg],
    scale: int,
    actor: Actor,
    idempotency_key: str | None,
    request_digest: str,
    respond: Callable[[JournalEntry], dict[str, Any]],
) -> dict[str, Any]:
    """Write one balanced entry after `head` (which the caller has locked), its postings, and
    the balance projections they move. `respond` builds the answer once the projections have
    moved; it is stored with the entry (for replays) and sealed into its hash with everything
    else, so that no field of an entry or its postings can change unnoticed. Returns it."""
    if len(legs) < 2 or _sum(leg.amount for leg in legs) != 0:
        raise ValueError("a journal entry needs two or more postings that sum to zero")
    entry = JournalEntry(
        organization_id=head.organization_id,
        sequence=head.sequence + 1,
        action_type=action_type,
        program_id=program_id,
        asset_id=asset_id,
        participant_id=participant_id,
        description=description,
        idempotency_key=idempotency_key,
        request_hash=request_digest,
        previous_hash=head.entry_hash,
        entry_hash="",
        created_at=actor.now,
        created_by_api_key_id=actor.api_key_id,
    )
    postings = [
        Posting(
            organization_id=head.organization_id,
            journal_entry_id=entry.id,
            entity_type=leg.entity_type,
            entity_id=leg.entity_id,
            system_account=leg.system_account,
            asset_id=asset_id,
            bucket=leg.bucket,
            amount=leg.amount,
            created_at=actor.now,
        )
        for leg in legs
    ]
    for leg in legs:
        await _project(session, head.organization_id, asset_id, leg, scale, actor.now)
    response = entry.response = respond(entry)
    entry.entry_hash = _entry_hash(head.entry_hash, entry, postings)
    session.add(entry)
    await session.flush()  # the entry first: postings refer to it
    session.add_all(postings)
    head.sequence, head.entry_hash = entry.sequence, entry.entry_hash
    return response


async def _project(
    session: AsyncSession,
    organization_id: uuid.UUID,
    asset_id: uuid.UUID,
    leg: Leg,
    scale: int,
    now: datetime,
) -> None:
    """Move the leg's projection; its buckets keep the asset's scale ("100.00" for scale 2), so
    balances read the same on both databases."""
    balance: Balance | ProgramBalance
    if leg.entity_type is EntityType.PARTICIPANT:
        assert leg.entity_id is not None
        balance = await crud.participant_balance(
            session,
            organization_id=organization_id,
            participant_id=leg.entity_id,
            asset_id=asset_id,
            scale=scale,
            now=now,
        )
    elif leg.entity_type is EntityType.PROGRAM:
        assert leg.entity_id is not None
        balance = await crud.program_balance(
            session,
            organization_id=organization_id,
            program_id=leg.entity_id,
            asset_id=asset_id,
            scale=scale,
            now=now,
        )
    else:
        return  # system accounts have no projection: their balance is the sum of postings
    name = _FIELD[leg.bucket]
    setattr(balance, name, EXACT.add(getattr(balance, name), leg.amount))
    for field in _FIELD.values():
        setattr(balance, field, at_scale(getattr(balance, field), scale))
    balance.updated_at = now


async def verify_ledger(db: Database, *, organization_id: uuid.UUID | None = None) -> list[str]:
    """Every problem with the books (empty when they are sound): a broken hash chain, an
    unbalanced entry, or a balance that is not the sum of its postings."""
    problems: list[str] = []
    async with db.read() as session:
        if not db.is_sqlite:  # one snapshot for every query below, while writers go on
            await session.connection(
                execution_options={
                    "isolation_level": "REPEATABLE READ",
                    "postgresql_readonly": True,
                }
            )
        query = select(JournalEntry).order_by(JournalEntry.organization_id, JournalEntry.sequence)  # type: ignore[arg-type]
        postings_query = select(Posting).order_by(Posting.id)  # type: ignore[arg-type]
        balances_query = select(Balance)
        wallets_query = select(ProgramBalance)
        heads_query = select(LedgerHead)
        if organization_id is not None:
            query = query.where(JournalEntry.organization_id == organization_id)  # type: ignore[arg-type]
            postings_query = postings_query.where(Posting.organization_id == organization_id)  # type: ignore[arg-type]
            balances_query = balances_query.where(Balance.organization_id == organization_id)  # type: ignore[arg-type]
            wallets_query = wallets_query.where(ProgramBalance.organization_id == organization_id)  # type: ignore[arg-type]
            heads_query = heads_query.where(LedgerHead.organization_id == organization_id)  # type: ignore[arg-type]
        entries = list(await session.scalars(query))
        postings = list(await session.scalars(postings_query))
        balances = list(await session.scalars(balances_query))
        wallets = list(await session.scalars(wallets_query))
        heads = {head.organization_id: head for head in await session.scalars(heads_query)}
    by_entry: dict[uuid.UUID, list[Posting]] = defaultdict(list)
    sums: dict[tuple[Any, ...], Decimal] = defaultdict(Decimal)
    for posting in postings:
        by_entry[posting.journal_entry_id].append(posting)
        account = (posting.entity_type, posting.entity_id, posting.asset_id, posting.bucket)
        sums[account] = EXACT.add(sums[account], posting.amount)
    previous: dict[uuid.UUID, tuple[int, str]] = {}
    for entry in entries:
        sequence, last_hash = previous.get(entry.organization_id, (0, _GENESIS))
        legs = by_entry.get(entry.id, [])
        if entry.sequence != sequence + 1:
            problems.append(f"entry {entry.id}: sequence {entry.sequence} follows {sequence}")
        if entry.previous_hash != last_hash:
            problems.append(f"entry {entry.id}: previous_hash does not match the chain")
        if _entry_hash(entry.previous_hash, entry, legs) != entry.entry_hash:
            problems.append(f"entry {entry.id}: entry_hash does not match its content")
        if len(legs) < 2 or _sum(p.amount for p in legs) != 0:
            problems.append(f"entry {entry.id}: postings do not balance")
        previous[entry.organization_id] = (entry.sequence, entry.entry_hash)
    for org in set(previous) | set(heads):
        sequence, last_hash = previous.get(org, (0, _GENESIS))
        head = heads.get(org)
        if head is None or (head.sequence, head.entry_hash) != (sequence, last_hash):
            problems.append(f"organization {org}: the chain head is not its last entry")
    projected: dict[tuple[Any, ...], Decimal] = {}
    for balance in balances:
        for bucket, name in _FIELD.items():
            key = (EntityType.PARTICIPANT, balance.participant_id, balance.asset_id, bucket)
            projected[key] = getattr(balance, name)
    for wallet in wallets:
        for bucket, name in _FIELD.items():
            projected[(EntityType.PROGRAM, wallet.program_id, wallet.asset_id, bucket)] = getattr(
                wallet, name
            )
    for account in set(projected) | {a for a in sums if a[0] is not EntityType.SYSTEM}:
        if projected.get(account, Decimal(0)) != sums.get(account, Decimal(0)):
            entity_type, entity_id, asset_id, bucket = account
            problems.append(
                f"{entity_type.value.lower()} {entity_id} asset {asset_id}: the "
                f"{bucket.value} balance is not the sum of its postings"
            )
    return problems
