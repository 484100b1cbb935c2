"""The ledger over GraphQL (issue 8): balance operations, journal entries, participant activity.

The mutations go through the same services as REST (`app.services.balances`) and answer from
the same stored response, so a replayed idempotency key gives the original answer here too.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.types.unset import UNSET

from app import models
from app.graphql.activity import ActionType, BalanceBucket
from app.graphql.context import Info
from app.graphql.pagination import PageInfo, argument_error
from app.graphql.types import UserError
from app.graphql.user_errors import decimal_text, present, refusal
from app.services import balances, ledger_views
from app.services.balances import LedgerOutcome, Movement, WalletOperation
from app.services.errors import ServiceError, ValidationFailed
from app.services.ledger_views import EntryFilter, EntryView

__all__ = ["LedgerMutation", "LedgerQuery"]

AdjustType = strawberry.enum(balances.AdjustType, name="AdjustType")
SpendableBucket = strawberry.enum(
    balances.SpendableBucket, name="SpendableBucket", description="A bucket value can move in."
)
EntityType = strawberry.enum(models.EntityType, name="LedgerEntityType")


@strawberry.type(description="A participant's balance of one asset after the operation.")
class BucketAmounts:
    available: Decimal
    deferred: Decimal
    held: Decimal


@strawberry.type(description="What a balance operation did, or why it did nothing.")
class BalanceOperationPayload:
    journal_entry_id: uuid.UUID | None = strawberry.field(description="Null on userErrors.")
    amount: Decimal | None = strawberry.field(description="The amount moved.")
    balance: BucketAmounts | None = strawberry.field(description="The balance afterwards.")
    replayed: bool = strawberry.field(
        description="True when an idempotencyKey was seen before: the original answer, again."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Codes beyond the input reasons: not_found, participant_inactive, "
        "program_archived, asset_archived, invalid_scale, amount_exceeds_limit, "
        "insufficient_balance, idempotency_conflict."
    )


@strawberry.type(description="A program wallet after a fund or burn.")
class WalletPayload:
    journal_entry_id: uuid.UUID | None = strawberry.field(
        description="Null on userErrors, and for UNLIMITED assets (nothing to do)."
    )
    available: Decimal | None
    message: str | None
    replayed: bool
    user_errors: list[UserError]


@strawberry.input(description="CREDIT or DEBIT a participant's bucket.")
class AdjustBalanceInput:
    participant_id: uuid.UUID
    program_id: uuid.UUID
    asset_id: uuid.UUID = strawberry.field(description="Linked to the program.")
    type: AdjustType  # type: ignore[valid-type]
    amount: Decimal = strawberry.field(description="Positive, within the asset's scale.")
    description: str = strawberry.field(description="1-500 characters.")
    bucket: SpendableBucket | None = UNSET  # type: ignore[valid-type]
    allow_negative: bool | None = strawberry.field(
        default=UNSET, description="DEBIT only: may go below zero (clawbacks)."
    )
    idempotency_key: str | None = strawberry.field(
        default=UNSET, description="1-255, scoped to the program."
    )


@strawberry.input(description="Move value between a participant's buckets, or forfeit it.")
class MoveBalanceInput:
    participant_id: uuid.UUID
    program_id: uuid.UUID
    asset_id: uuid.UUID
    amount: Decimal | None = strawberry.field(
        default=UNSET, description="Left out: the whole bucket."
    )
    description: str = strawberry.field(description="1-500 characters.")
    bucket: SpendableBucket | None = strawberry.field(  # type: ignore[valid-type]
        default=UNSET, description="forfeitBalance only, and required there."
    )
    idempotency_key: str | None = UNSET


@strawberry.input(description="Fund or burn a program's wallet of a PREFUNDED asset.")
class ProgramWalletInput:
    program_id: uuid.UUID
    asset_id: uuid.UUID
    amount: Decimal
    description: str | None = UNSET
    idempotency_key: str | None = UNSET


def _data(input_: object, *skip: str) -> dict[str, Any]:
    data = {k: v for k, v in present(input_).items() if k not in skip}
    if isinstance(data.get("amount"), Decimal):
        data["amount"] = decimal_text(data["amount"])
    return data


async def _balance_operation(
    info: Info, participant_id: uuid.UUID, run: Callable[[], Awaitable[LedgerOutcome]]
) -> BalanceOperationPayload:
    try:
        outcome = await run()
    except ServiceError as exc:
        errors = refusal(exc, not_found_field="participant_id")
        return BalanceOperationPayload(
            journal_entry_id=None, amount=None, balance=None, replayed=False, user_errors=errors
        )
    info.context.loaders.forget(participant_id)
    answer = outcome.response
    amount: str = answer["amount"] if "amount" in answer else answer["amount_processed"]
    return BalanceOperationPayload(
        journal_entry_id=uuid.UUID(answer["journal_entry_id"]),
        amount=Decimal(amount),
        balance=BucketAmounts(**{k: Decimal(v) for k, v in answer["balance"].items()}),
        replayed=outcome.replayed,
        user_errors=[],
    )


def _mover(operation: Movement) -> Any:
    async def resolve(info: Info, input: MoveBalanceInput) -> BalanceOperationPayload:
        data = _data(input, "participant_id")
        return await _balance_operation(
            info,
            input.participant_id,
            lambda: balances.move(
                info.context.db,
                info.context.actor(),
                operation=operation,
                participant_id=input.participant_id,
                data=data,
            ),
        )

    return resolve


def _wallet(operation: WalletOperation) -> Any:
    async def resolve(info: Info, input: ProgramWalletInput) -> WalletPayload:
        data = _data(input, "program_id", "asset_id")
        try:
            outcome = await balances.fund_or_burn(
                info.context.db,
                info.context.actor(),
                operation=operation,
                program_id=input.program_id,
                asset_id=input.asset_id,
                data=data,
            )
        except ServiceError as exc:
            return WalletPayload(
                journal_entry_id=None,
                available=None,
                message=None,
                replayed=False,
                user_errors=refusal(exc, not_found_field="asset_id"),
            )
        answer = outcome.response
        entry = answer["journal_entry_id"]
        return WalletPayload(
            journal_entry_id=uuid.UUID(entry) if entry else None,
            available=Decimal(answer["available"]),
            message=answer["message"],
            replayed=outcome.replayed,
            user_errors=[],
        )

    return resolve


async def _adjust(info: Info, input: AdjustBalanceInput) -> BalanceOperationPayload:
    data = _data(input, "participant_id")
    return await _balance_operation(
        info,
        input.participant_id,
        lambda: balances.adjust(
            info.context.db, info.context.actor(), participant_id=input.participant_id, data=data
        ),
    )


@strawberry.type
class LedgerMutation:
    adjust_balance: BalanceOperationPayload = strawberry.mutation(
        resolver=_adjust, description="CREDIT (issuance or the program wallet) or DEBIT."
    )
    hold_balance: BalanceOperationPayload = strawberry.mutation(
        resolver=_mover(Movement.HOLD), description="AVAILABLE → HELD."
    )
    release_balance: BalanceOperationPayload = strawberry.mutation(
        resolver=_mover(Movement.RELEASE), description="HELD → AVAILABLE."
    )
    forfeit_balance: BalanceOperationPayload = strawberry.mutation(
        resolver=_mover(Movement.FORFEIT),
        description="A bucket → SYSTEM_BREAKAGE (irreversible; allowed on CLOSED participants).",
    )
    fund_program: WalletPayload = strawberry.mutation(
        resolver=_wallet(WalletOperation.FUND), description="SYSTEM_ISSUANCE → the wallet."
    )
    burn_program: WalletPayload = strawberry.mutation(
        resolver=_wallet(WalletOperation.BURN), description="The wallet → SYSTEM_BREAKAGE."
    )


@strawberry.type(description="One side of a journal entry.")
class LedgerPosting:
    id: uuid.UUID
    entity_type: EntityType  # type: ignore[valid-type]
    entity_id: uuid.UUID | None = strawberry.field(description="The participant or program.")
    system_account: str | None
    asset_id: uuid.UUID
    bucket: BalanceBucket  # type: ignore[valid-type]
    amount: Decimal = strawberry.field(description="Signed.")
    created_at: datetime


@strawberry.type(description="A balanced, hash-chained movement of value.")
class LedgerEntry:
    id: uuid.UUID
    sequence: int
    action_type: ActionType  # type: ignore[valid-type]
    program_id: uuid.UUID
    asset_id: uuid.UUID
    participant_id: uuid.UUID | None
    description: str
    idempotency_key: str | None
    previous_hash: str
    entry_hash: str
    created_at: datetime
    created_by_api_key_id: uuid.UUID | None
    postings: list[LedgerPosting]

    @classmethod
    def from_view(cls, view: EntryView) -> LedgerEntry:
        e = view.entry
        return cls(
            id=e.id,
            sequence=e.sequence,
            action_type=e.action_type,
            program_id=e.program_id,
            asset_id=e.asset_id,
            participant_id=e.participant_id,
            description=e.description,
            idempotency_key=e.idempotency_key,
            previous_hash=e.previous_hash,
            entry_hash=e.entry_hash,
            created_at=e.created_at,
            created_by_api_key_id=e.created_by_api_key_id,
            postings=[
                LedgerPosting(
                    id=p.id,
                    entity_type=p.entity_type,
                    entity_id=p.entity_id,
                    system_account=p.system_account.value if p.system_account else None,
                    asset_id=p.asset_id,
                    bucket=p.bucket,
                    amount=p.amount,
                    created_at=p.created_at,
                )
                for p in view.postings
            ],
        )


@strawberry.type
class LedgerEntryEdge:
    cursor: str
    node: LedgerEntry


@strawberry.type
class LedgerEntryConnection:
    edges: list[LedgerEntryEdge]
    page_info: PageInfo


@strawberry.input(description="All given conditions must hold.")
class JournalEntryFilter:
    program_id: uuid.UUID | None = None
    participant_id: uuid.UUID | None = None
    asset_id: uuid.UUID | None = None
    action_type: ActionType | None = None  # type: ignore[valid-type]
    created_from: datetime | None = strawberry.field(default=None, description="Inclusive.")
    created_to: datetime | None = strawberry.field(default=None, description="Exclusive.")


async def resolve_journal_entries(
    info: Info,
    first: int = 50,
    after: str | None = None,
    filter: JournalEntryFilter | None = None,
) -> LedgerEntryConnection:
    given = filter or JournalEntryFilter()
    info.context.nodes.spend(first)
    try:
        page = await ledger_views.list_journal_entries(
            info.context.db,
            info.context.cursor_codec,
            organization_id=info.context.principal.organization_id,
            filter=EntryFilter(
                program_id=given.program_id,
                participant_id=given.participant_id,
                asset_id=given.asset_id,
                action_type=given.action_type,
                changed_from=given.created_from,
                changed_to=given.created_to,
            ),
            limit=first,
            after=after,
        )
    except ValidationFailed as exc:
        raise argument_error(exc) from None
    return LedgerEntryConnection(
        edges=[
            LedgerEntryEdge(cursor=cursor, node=LedgerEntry.from_view(view))
            for view, cursor in zip(page.items, page.cursors, strict=True)
        ],
        page_info=PageInfo(has_next_page=page.has_more, end_cursor=page.end_cursor),
    )


@strawberry.type
class LedgerQuery:
    journal_entries: LedgerEntryConnection = strawberry.field(
        resolver=resolve_journal_entries,
        description="The organization's journal entries, newest first (first: 1-200).",
    )
