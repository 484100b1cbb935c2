"""Balances and the ledger over REST (issue 8): parse, call the service, shape the answer."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import Response
from typing_extensions import TypedDict

from app.access import actor, database, require_principal
from app.core.formats import format_decimal, format_timestamp
from app.core.responses import JSONResponse
from app.models import ActionType, Bucket, EntityType, JournalEntry, Posting
from app.rest.body import json_body
from app.rest.listing_params import parse_query
from app.rest.participants import participant_id
from app.rest.routing import path_id
from app.rest.shapes import ONE_PAGE, BalanceBody, Pagination, balance_body, pagination
from app.services import balances, ledger_views
from app.services.balances import Movement, WalletOperation
from app.services.ledger_views import ActivityFilter, EntryFilter, EntryView
from app.services.pages import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

__all__ = [
    "ActivityItem",
    "ActivityList",
    "ActivityParams",
    "AdjustBody",
    "AssetParam",
    "BalanceList",
    "EntryBody",
    "EntryList",
    "EntryParams",
    "MoveBody",
    "PostingBody",
    "WalletBody",
    "WalletList",
]


class Amounts(TypedDict):
    available: str
    deferred: str
    held: str


class AdjustBody(TypedDict):
    """The answer of `…/balances/adjust` (a replay gets the original again)."""

    amount: str
    asset_id: str
    #: The participant's balance of the asset afterwards.
    balance: Amounts
    bucket: str
    journal_entry_id: str
    message: str
    program_id: str
    type: str


class MoveBody(TypedDict):
    """The answer of `…/balances/hold`, `/release` and `/forfeit`."""

    amount_processed: str
    asset_id: str
    balance: Amounts
    journal_entry_id: str
    lots_processed: list[dict[str, str]]
    message: str
    operation: str
    program_id: str
    reference_id: str | None


class WalletBody(TypedDict):
    """The answer of `…/fund` and `/burn`; no entry (null) for an UNLIMITED asset."""

    available: str
    journal_entry_id: str | None
    message: str


async def adjust(request: Request) -> Response:
    """`POST …/balances/adjust`: CREDIT or DEBIT; 200 (a replay answers the original)."""
    principal = await require_principal(request)
    target, data = participant_id(request), await json_body(request)
    outcome = await balances.adjust(
        database(request), actor(request, principal), participant_id=target, data=data
    )
    return JSONResponse(outcome.response)


def _movement(operation: Movement) -> Any:
    async def endpoint(request: Request) -> Response:
        principal = await require_principal(request)
        target, data = participant_id(request), await json_body(request)
        outcome = await balances.move(
            database(request),
            actor(request, principal),
            operation=operation,
            participant_id=target,
            data=data,
        )
        return JSONResponse(outcome.response)

    endpoint.__doc__ = f"`POST …/balances/{operation.value.lower()}`."
    return endpoint


hold = _movement(Movement.HOLD)
release = _movement(Movement.RELEASE)
forfeit = _movement(Movement.FORFEIT)


def _wallet(operation: WalletOperation) -> Any:
    async def endpoint(request: Request) -> Response:
        principal = await require_principal(request)
        program = path_id(request, "program_id", what="program")
        asset = path_id(request, "asset_id", what="asset")
        outcome = await balances.fund_or_burn(
            database(request),
            actor(request, principal),
            operation=operation,
            program_id=program,
            asset_id=asset,
            data=await json_body(request),
        )
        return JSONResponse(outcome.response)

    endpoint.__doc__ = f"`POST /v1/programs/{{id}}/assets/{{asset_id}}/{operation.value.lower()}`."
    return endpoint


fund = _wallet(WalletOperation.FUND)
burn = _wallet(WalletOperation.BURN)


class BalanceList(TypedDict):
    data: list[BalanceBody]
    pagination: Pagination


class AssetParam(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    asset_id: uuid.UUID | None = None


async def list_balances(request: Request) -> Response:
    """`GET /v1/participants/{id}/balances?asset_id=`."""
    principal = await require_principal(request)
    target = participant_id(request)
    params = parse_query(AssetParam, request.query_params)
    rows = await ledger_views.participant_balances(
        database(request),
        organization_id=principal.organization_id,
        participant_id=target,
        asset_id=params.asset_id,
    )
    body: BalanceList = {
        "data": [balance_body(b) for b in rows],
        "pagination": ONE_PAGE,
    }
    return JSONResponse(body)


class WalletItem(TypedDict):
    asset_id: str
    available: str
    deferred: str
    held: str
    issuance_policy: str


class WalletList(TypedDict):
    data: list[WalletItem]
    pagination: Pagination


async def program_balance(request: Request) -> Response:
    """`GET /v1/programs/{id}/balance`: the wallet of each PREFUNDED asset linked to it."""
    principal = await require_principal(request)
    rows = await ledger_views.program_wallet(
        database(request),
        organization_id=principal.organization_id,
        program_id=path_id(request, "program_id", what="program"),
    )
    zero = "0"
    body: WalletList = {
        "data": [
            {
                "asset_id": str(asset.id),
                "available": format_decimal(wallet.available) if wallet else zero,
                "deferred": format_decimal(wallet.deferred) if wallet else zero,
                "held": format_decimal(wallet.held) if wallet else zero,
                "issuance_policy": asset.issuance_policy.value,
            }
            for asset, wallet in rows
        ],
        "pagination": ONE_PAGE,
    }
    return JSONResponse(body)


class ActivityParams(BaseModel):
    """`GET …/activity/history` query parameters."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    asset_id: uuid.UUID | None = None
    bucket: Bucket | None = None
    changed_from: AwareDatetime | None = Field(default=None, alias="from")
    changed_to: AwareDatetime | None = Field(default=None, alias="to")
    #: On the time of the event behind a posting: none is made by an event yet, so these select
    #: nothing.
    event_from: AwareDatetime | None = None
    event_to: AwareDatetime | None = None
    limit: int = Field(
        default=DEFAULT_PAGE_SIZE, json_schema_extra={"minimum": 1, "maximum": MAX_PAGE_SIZE}
    )
    cursor: str | None = None


class ActivityItem(TypedDict):
    id: str
    journal_entry_id: str
    action_type: str
    #: Signed: what the posting added to (or took from) the bucket.
    amount: str
    asset_id: str
    bucket: str
    description: str
    created_at: str
    created_by_api_key_id: str | None
    event_id: str | None
    event_timestamp: str | None


class ActivityList(TypedDict):
    data: list[ActivityItem]
    pagination: Pagination


def _activity_item(posting: Posting, entry: JournalEntry) -> ActivityItem:
    return {
        "id": str(posting.id),
        "journal_entry_id": str(entry.id),
        "action_type": entry.action_type.value,
        "amount": format_decimal(posting.amount),
        "asset_id": str(posting.asset_id),
        "bucket": posting.bucket.value,
        "description": entry.description,
        "created_at": format_timestamp(posting.created_at),
        "created_by_api_key_id": _text(entry.created_by_api_key_id),
        "event_id": None,
        "event_timestamp": None,
    }


def _text(value: uuid.UUID | None) -> str | None:
    return str(value) if value is not None else None


async def activity(request: Request) -> Response:
    """`GET /v1/participants/{id}/activity/history`: postings on its accounts, newest first."""
    principal = await require_principal(request)
    target = participant_id(request)
    params = parse_query(ActivityParams, request.query_params)
    page = await ledger_views.participant_activity(
        database(request),
        request.app.state.cursor_codec,
        organization_id=principal.organization_id,
        participant_id=target,
        filter=ActivityFilter(
            asset_id=params.asset_id,
            bucket=params.bucket,
            changed_from=params.changed_from,
            changed_to=params.changed_to,
            made_by_event=params.event_from is not None or params.event_to is not None,
        ),
        limit=params.limit,
        after=params.cursor,
    )
    body: ActivityList = {
        "data": [_activity_item(p, e) for p, e in page.items],
        "pagination": pagination(page),
    }
    return JSONResponse(body)


class PostingBody(TypedDict):
    id: str
    entity_type: str
    participant_id: str | None
    program_id: str | None
    system_account: str | None
    asset_id: str
    bucket: str
    amount: str
    created_at: str


class EntryBody(TypedDict):
    id: str
    sequence: int
    action_type: str
    program_id: str
    asset_id: str
    participant_id: str | None
    description: str
    idempotency_key: str | None
    previous_hash: str
    entry_hash: str
    created_at: str
    created_by_api_key_id: str | None
    postings: list[PostingBody]


class EntryList(TypedDict):
    data: list[EntryBody]
    pagination: Pagination


def _posting_body(p: Posting) -> PostingBody:
    return {
        "id": str(p.id),
        "entity_type": p.entity_type.value,
        "participant_id": _text(p.entity_id) if p.entity_type is EntityType.PARTICIPANT else None,
        "program_id": _text(p.entity_id) if p.entity_type is EntityType.PROGRAM else None,
        "system_account": p.system_account.value if p.system_account else None,
        "asset_id": str(p.asset_id),
        "bucket": p.bucket.value,
        "amount": format_decimal(p.amount),
        "created_at": format_timestamp(p.created_at),
    }


def entry_body(view: EntryView) -> EntryBody:
    entry = view.entry
    return {
        "id": str(entry.id),
        "sequence": entry.sequence,
        "action_type": entry.action_type.value,
        "program_id": str(entry.program_id),
        "asset_id": str(entry.asset_id),
        "participant_id": _text(entry.participant_id),
        "description": entry.description,
        "idempotency_key": entry.idempotency_key,
        "previous_hash": entry.previous_hash,
        "entry_hash": entry.entry_hash,
        "created_at": format_timestamp(entry.created_at),
        "created_by_api_key_id": _text(entry.created_by_api_key_id),
        "postings": [_posting_body(p) for p in view.postings],
    }


class EntryParams(BaseModel):
    """`GET /v1/journal-entries` query parameters. `event_id`, `rule_id`, `reference_id` and
    `group_id` select nothing yet (no entry is made by events, rules or for groups);
    `min_amount`/`max_amount` are not supported."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    program_id: uuid.UUID | None = None
    participant_id: uuid.UUID | None = None
    external_id: str | None = Field(default=None, json_schema_extra={"maxLength": 255})
    asset_id: uuid.UUID | None = None
    action_type: ActionType | None = None
    bucket: Bucket | None = None
    event_id: uuid.UUID | None = None
    rule_id: uuid.UUID | None = None
    reference_id: str | None = None
    group_id: uuid.UUID | None = None
    changed_from: AwareDatetime | None = Field(default=None, alias="from")
    changed_to: AwareDatetime | None = Field(default=None, alias="to")
    limit: int = Field(
        default=DEFAULT_PAGE_SIZE, json_schema_extra={"minimum": 1, "maximum": MAX_PAGE_SIZE}
    )
    cursor: str | None = None


async def list_entries(request: Request) -> Response:
    """`GET /v1/journal-entries`: newest first, with their postings."""
    principal = await require_principal(request)
    params = parse_query(EntryParams, request.query_params)
    page = await ledger_views.list_journal_entries(
        database(request),
        request.app.state.cursor_codec,
        organization_id=principal.organization_id,
        filter=EntryFilter(
            program_id=params.program_id,
            participant_id=params.participant_id,
            asset_id=params.asset_id,
            action_type=params.action_type,
            external_id=params.external_id,
            bucket=params.bucket,
            changed_from=params.changed_from,
            changed_to=params.changed_to,
            made_elsewhere=any(
                v is not None
                for v in (params.event_id, params.rule_id, params.reference_id, params.group_id)
            ),
        ),
        limit=params.limit,
        after=params.cursor,
    )
    body: EntryList = {
        "data": [entry_body(view) for view in page.items],
        "pagination": pagination(page),
    }
    return JSONResponse(body)


async def get_entry(request: Request) -> Response:
    """`GET /v1/journal-entries/{id}`."""
    principal = await require_principal(request)
    view = await ledger_views.get_journal_entry(
        database(request),
        organization_id=principal.organization_id,
        entry_id=path_id(request, "entry_id", what="journal entry"),
    )
    return JSONResponse(entry_body(view))
