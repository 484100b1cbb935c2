"""Response bodies of the REST face, as typed dicts: the builders below are type-checked against
them and `/openapi.json` derives its schemas from them, so the two cannot drift apart."""

from __future__ import annotations

from typing import Protocol

from typing_extensions import TypedDict  # pydantic needs this one on Python < 3.12

from app.core.formats import format_decimal, format_timestamp
from app.crud import HeldBalance, ParticipantRow
from app.models import Participant
from app.services.participant_listing import ParticipantPage
from app.services.participants import ParticipantState

__all__ = [
    "ONE_PAGE",
    "SUMMARY_UNREAD",
    "BalanceBody",
    "ErrorBody",
    "FieldProblem",
    "ParticipantBody",
    "ParticipantList",
    "ParticipantSummary",
    "TierBody",
    "balance_body",
    "pagination",
    "participant_body",
    "participant_list",
    "participant_summary",
]


class BalanceBody(TypedDict):
    asset_id: str
    available: str
    deferred: str
    held: str


class TierBody(TypedDict):
    level: str
    rank: int


class ParticipantSummary(TypedDict):
    """A list item: the participant without its derived state."""

    id: str
    external_id: str
    status: str
    email: str | None
    phone: str | None
    first_name: str | None
    last_name: str | None
    display_name: str | None
    created_at: str
    updated_at: str


class ParticipantBody(ParticipantSummary):
    """The whole participant, as `POST` and `GET /v1/participants/{id}` answer it."""

    attributes: dict[str, str]
    tags: list[str]
    balances: list[BalanceBody]
    counters: dict[str, str]
    tiers: dict[str, TierBody]
    program_ids: list[str]


class Pagination(TypedDict):
    has_more: bool
    next_cursor: str | None


class ParticipantList(TypedDict):
    data: list[ParticipantSummary]
    pagination: Pagination


class FieldProblem(TypedDict):
    field: str
    reason: str
    message: str


class ErrorDetails(TypedDict, total=False):
    fields: list[FieldProblem]
    #: On 500 answers: quote it to whoever reads the logs.
    request_id: str


class ErrorBody(TypedDict, total=False):
    code: str
    message: str
    details: ErrorDetails


#: The pagination of a list that always fits in one page (a participant's tags, balances, …).
ONE_PAGE: Pagination = {"has_more": False, "next_cursor": None}


class _Paged(Protocol):
    @property
    def has_more(self) -> bool: ...

    @property
    def end_cursor(self) -> str | None: ...


def pagination(page: _Paged) -> Pagination:
    """A keyset page's `pagination`: the cursor of the next page only when there is one."""
    return {"has_more": page.has_more, "next_cursor": page.end_cursor if page.has_more else None}


def balance_body(balance: HeldBalance) -> BalanceBody:
    return {
        "asset_id": str(balance.asset_id),
        "available": format_decimal(balance.available),
        "deferred": format_decimal(balance.deferred),
        "held": format_decimal(balance.held),
    }


#: The participant columns the slim form does not show: a listing leaves them unread.
SUMMARY_UNREAD = frozenset({"organization_id", "attributes", "tags"})


def participant_summary(row: ParticipantRow) -> ParticipantSummary:
    return {
        "id": str(row.id),
        "external_id": row.external_id,
        "status": row.status.value,
        "email": row.email,
        "phone": row.phone,
        "first_name": row.first_name,
        "last_name": row.last_name,
        "display_name": row.display_name,
        "created_at": format_timestamp(row.created_at),
        "updated_at": format_timestamp(row.updated_at),
    }


def participant_list(page: ParticipantPage) -> ParticipantList:
    return {
        "data": [participant_summary(row) for row in page.participants],
        "pagination": pagination(page),
    }


def participant_body(row: Participant, state: ParticipantState) -> ParticipantBody:
    return {
        **participant_summary(row),
        "attributes": row.attributes,
        "tags": row.tags,
        "balances": [balance_body(b) for b in state.balances],
        "counters": {c.key: format_decimal(c.value) for c in state.counters},
        # Keyed by tier key as Scrip does; should two programs share a tier key, the later
        # program (by id) wins here. GraphQL's `tiers` lists them all with their programId.
        "tiers": {t.tier_key: {"level": t.level, "rank": t.rank} for t in state.tiers},
        "program_ids": [str(p.id) for p in state.programs],
    }
