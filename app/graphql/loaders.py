"""Per-request DataLoaders for the lazy fields of participants, programs, assets and tiers.

Each batch opens its own session, so loaders that run concurrently never share one.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from app import crud
from app.core.db import Database
from app.crud import HeldBalance, HeldCounter, HeldTier, StateDocuments, StateKind
from app.graphql.loader import NOT_HELD, Loader, held
from app.models import (
    Asset,
    JournalEntry,
    Participant,
    Posting,
    Program,
    StateChange,
    Tier,
    TierLevel,
)
from app.services import ledger_views, programs, state_history
from app.services.cursors import CursorCodec
from app.services.pages import Page
from app.services.participant_counters import effective
from app.services.participant_listing import ParticipantPage
from app.services.participants import ParticipantState

__all__ = ["Loaders", "converted_once", "now_or_later"]

K = TypeVar("K")
T = TypeVar("T")
R = TypeVar("R")


def now_or_later(
    loader: DataLoader[K, T], key: K, convert: Callable[[T], R], *, shared: bool = False
) -> R | Awaitable[R]:
    """`convert(value)` right away when the loader already holds `key`'s value, else an awaitable.

    A resolver that returns a plain value costs GraphQL no task and no await; the loader still
    batches every key that is not cached yet. `shared`: see `converted_once`.
    """
    ready = loader.ready if isinstance(loader, Loader) else None
    value = ready.get(key, NOT_HELD) if ready is not None else NOT_HELD
    if value is NOT_HELD:
        value = held(loader, key)
    if value is not NOT_HELD:
        return converted_once(loader, value, convert) if shared else convert(value)

    async def later() -> R:
        return convert(await loader.load(key))

    return later()


def converted_once(loader: DataLoader[Any, Any], value: T, convert: Callable[[T], R]) -> R:
    """`convert(value)`, done once per request for a row many nodes point at (the asset of 200
    balances, the program of 100 participants) and the result reused; by the row's identity."""
    memo = loader.shown if isinstance(loader, Loader) else None
    if memo is None:
        return convert(value)
    known = memo.get((id(value), convert))
    if known is not None and known[0] is value:
        return known[1]  # type: ignore[no-any-return]
    shown = convert(value)
    memo[(id(value), convert)] = (value, shown)
    return shown


def _grouped(
    db: Database,
    organization_id: uuid.UUID,
    query: Callable[..., Awaitable[dict[uuid.UUID, list[T]]]],
    argument: str = "participant_ids",
) -> Loader[uuid.UUID, list[T]]:
    """A loader of lists by parent id (a participant's balances, a program's assets, …)."""

    async def load(parent_ids: list[uuid.UUID]) -> Sequence[list[T]]:
        async with db.lookup() as session:
            found = await query(session, organization_id=organization_id, **{argument: parent_ids})
        return [found.get(pid, []) for pid in parent_ids]

    return Loader(load_fn=load, max_batch_size=500)


#: One page of a parent's children: (parent id, page size, position after, filter).
PageKey = tuple[uuid.UUID, int, Any, Any]
P = TypeVar("P")


def _pages(
    fetch: Callable[[list[uuid.UUID], int, Any, Any], Awaitable[dict[uuid.UUID, P]]],
) -> Loader[PageKey, P]:
    """A loader of pages per parent (a program's participants, a participant's history or
    activity): the parents asked for with the same page arguments share one statement."""

    async def load(keys: list[PageKey]) -> Sequence[P]:
        by_arguments: dict[tuple[int, Any, Any], list[uuid.UUID]] = {}
        for parent_id, limit, position, given in keys:
            by_arguments.setdefault((limit, position, given), []).append(parent_id)
        pages: dict[PageKey, P] = {}
        for (limit, position, given), parent_ids in by_arguments.items():
            found = await fetch(parent_ids, limit, position, given)
            pages.update(((pid, limit, position, given), page) for pid, page in found.items())
        return [pages[key] for key in keys]

    # SQLite allows at most 500 arms in one UNION ALL.
    return Loader(load_fn=load, max_batch_size=250)


def _lookup(
    db: Database,
    organization_id: uuid.UUID,
    query: Callable[..., Awaitable[dict[K, T]]],
    argument: str,
) -> Loader[K, T | None]:
    async def load(keys: list[K]) -> Sequence[T | None]:
        async with db.lookup() as session:
            found = await query(session, organization_id=organization_id, **{argument: keys})
        return [found.get(key) for key in keys]

    return Loader(load_fn=load, max_batch_size=500)


def _counters_as_of(
    now: datetime,
) -> Callable[..., Awaitable[dict[uuid.UUID, list[HeldCounter]]]]:
    """Counters with their effective values at the request's time (lazy auto-reset)."""

    async def query(
        session: AsyncSession, *, organization_id: uuid.UUID, participant_ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, list[HeldCounter]]:
        found = await crud.counters_by_participant(
            session, organization_id=organization_id, participant_ids=participant_ids
        )
        return _effective(found, now)

    return query


def _effective(
    counters: dict[uuid.UUID, list[HeldCounter]], now: datetime
) -> dict[uuid.UUID, list[HeldCounter]]:
    """Counters by participant with their effective values at `now` (lazy auto-reset)."""
    return {pid: [effective(c, now) for c in rows] for pid, rows in counters.items()}


@dataclass(frozen=True, slots=True)
class Loaders:
    participant_by_id: Loader[uuid.UUID, Participant | None]
    participant_by_external_id: Loader[str, Participant | None]
    programs: Loader[uuid.UUID, list[Program]]
    balances: Loader[uuid.UUID, list[HeldBalance]]
    counters: Loader[uuid.UUID, list[HeldCounter]]
    tiers: Loader[uuid.UUID, list[HeldTier]]
    assets: Loader[uuid.UUID, Asset | None]
    program_by_id: Loader[uuid.UUID, Program | None]
    asset_program_ids: Loader[uuid.UUID, list[uuid.UUID]]
    program_assets: Loader[uuid.UUID, list[Asset]]
    program_tiers: Loader[uuid.UUID, list[Tier]]
    tier_levels: Loader[uuid.UUID, list[TierLevel]]
    program_participants: Loader[PageKey, ParticipantPage]
    state_history: Loader[PageKey, Page[StateChange]]
    activity: Loader[PageKey, Page[tuple[Posting, JournalEntry]]]
    #: The request's time: counters are shown as of it (lazy auto-reset).
    now: datetime

    @classmethod
    def create(
        cls, db: Database, organization_id: uuid.UUID, codec: CursorCodec, now: datetime
    ) -> Loaders:
        return cls(
            participant_by_id=_lookup(db, organization_id, crud.participants_by_id, "ids"),
            participant_by_external_id=_lookup(
                db, organization_id, crud.participants_by_external_id, "external_ids"
            ),
            programs=_grouped(db, organization_id, crud.programs_by_participant),
            balances=_grouped(db, organization_id, crud.balances_by_participant),
            counters=_grouped(db, organization_id, _counters_as_of(now)),
            tiers=_grouped(db, organization_id, crud.tiers_by_participant),
            assets=_lookup(db, organization_id, crud.assets_by_id, "asset_ids"),
            program_by_id=_lookup(db, organization_id, crud.programs_by_id, "program_ids"),
            asset_program_ids=_grouped(db, organization_id, crud.program_ids_by_asset, "asset_ids"),
            program_assets=_grouped(db, organization_id, crud.assets_by_program, "program_ids"),
            program_tiers=_grouped(db, organization_id, crud.tiers_by_program, "program_ids"),
            tier_levels=_grouped(db, organization_id, crud.levels_by_tier, "tier_ids"),
            program_participants=_pages(
                lambda ids, limit, position, _: programs.enrolled_pages(
                    db,
                    codec,
                    organization_id=organization_id,
                    program_ids=ids,
                    limit=limit,
                    position=position,
                )
            ),
            state_history=_pages(
                lambda ids, limit, position, given: state_history.history_pages(
                    db,
                    codec,
                    organization_id=organization_id,
                    participant_ids=ids,
                    filter=given,
                    limit=limit,
                    position=position,
                )
            ),
            now=now,
            activity=_pages(
                lambda ids, limit, position, given: ledger_views.activity_pages(
                    db,
                    codec,
                    organization_id=organization_id,
                    participant_ids=ids,
                    filter=given,
                    limit=limit,
                    position=position,
                )
            ),
        )

    def release(self) -> None:
        """Drop everything every loader holds (the request is over)."""
        for each in fields(self):
            loader = getattr(self, each.name)
            if isinstance(loader, Loader):
                loader.clear_all()

    def forget(self, participant_id: uuid.UUID) -> None:
        """Drop what this request has cached about a participant that was just written."""
        for loader in (self.programs, self.balances, self.counters, self.tiers):
            loader.clear(participant_id)
        self.state_history.clear_all()
        self.activity.clear_all()

    def prime_state(
        self,
        participant_ids: Sequence[uuid.UUID],
        kinds: frozenset[StateKind],
        state: StateDocuments,
    ) -> None:
        """Seed the state loaders with `kinds` of the participants' `state`, read elsewhere (with
        a page of them); counters as of the request's time. What they hold already stays."""
        if StateKind.BALANCES in kinds:
            self.balances.prime_many({pid: state.balances.get(pid, []) for pid in participant_ids})
        if StateKind.COUNTERS in kinds:
            counters = _effective(state.counters, self.now)
            self.counters.prime_many({pid: counters.get(pid, []) for pid in participant_ids})
        if StateKind.TIERS in kinds:
            self.tiers.prime_many({pid: state.tiers.get(pid, []) for pid in participant_ids})

    def prime(self, participant_id: uuid.UUID, state: ParticipantState) -> None:
        """Seed the loaders with state already known, so reading it costs no query."""
        self.programs.prime(participant_id, state.programs, force=True)
        self.balances.prime(participant_id, state.balances, force=True)
        self.counters.prime(participant_id, state.counters, force=True)
        self.tiers.prime(participant_id, state.tiers, force=True)
