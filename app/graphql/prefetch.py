"""Load a page's lazy fields before its nodes resolve.

The DataLoaders already batch a page's `programs`, `balances`, … into one query each. But a
resolver that awaits its loader costs an asyncio task per node and field, which at a page of 100
outweighs the SQL. So a connection looks at what the query selects under `node`, reads exactly
that state for the whole page with the page itself (`state_kinds`, one statement), primes it
into the loaders' caches without a future and a callback per key, and reads the few programs and
assets it names; the node resolvers then find their data already there (see
`app.graphql.loaders.now_or_later`). Fields that are not selected are never loaded.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import TypeVar

from strawberry.dataloader import DataLoader
from strawberry.types.nodes import SelectedField, Selection

from app.crud import StateDocuments, StateKind
from app.graphql.context import Info
from app.graphql.loader import NOT_HELD, held
from app.graphql.loaders import Loaders

__all__ = [
    "page_node_selections",
    "prefetch_participant_fields",
    "selected_names",
    "selected_under",
    "state_kinds",
]

K = TypeVar("K")
T = TypeVar("T")


def _included(selection: Selection) -> bool:
    """False when `@skip(if: true)` or `@include(if: false)` leaves the selection out."""
    directives = selection.directives
    if directives.get("skip", {}).get("if") is True:
        return False
    return directives.get("include", {}).get("if") is not False


def selected_under(selections: Iterable[Selection], name: str) -> list[Selection]:
    """The selections inside every field called `name` (GraphQL name), looking through fragments."""
    found: list[Selection] = []
    for selection in filter(_included, selections):
        if isinstance(selection, SelectedField):
            if selection.name == name:
                found.extend(selection.selections)
        else:
            found.extend(selected_under(selection.selections, name))
    return found


def selected_names(selections: Iterable[Selection]) -> set[str]:
    """The GraphQL names of the fields selected, looking through fragments and directives."""
    names: set[str] = set()
    for selection in filter(_included, selections):
        if isinstance(selection, SelectedField):
            names.add(selection.name)
        else:
            names |= selected_names(selection.selections)
    return names


#: The kinds of state a Participant's fields read.
_KINDS: tuple[tuple[frozenset[str], StateKind], ...] = (
    (frozenset({"programs", "programIds"}), StateKind.PROGRAMS),
    (frozenset({"balances"}), StateKind.BALANCES),
    (frozenset({"counters"}), StateKind.COUNTERS),
    (frozenset({"tiers"}), StateKind.TIERS),
)


def state_kinds(node: Sequence[Selection]) -> frozenset[StateKind]:
    """The kinds of state that `node` (a Participant's selections) shows: the page reads them
    along with its rows."""
    names = selected_names(node)
    return frozenset(kind for fields, kind in _KINDS if names & fields)


async def prefetch_participant_fields(
    loaders: Loaders,
    participant_ids: Sequence[uuid.UUID],
    node: Sequence[Selection],
    kinds: frozenset[StateKind],
    state: StateDocuments,
) -> None:
    """Prime the loaders with the page's `state` (its `kinds`, `state_kinds(node)`, read with
    the page), then read the programs and assets it names, one statement each, if `node` shows
    them. What the loaders already hold stays: a request sees one value per key."""
    if not participant_ids:
        return
    loaders.prime_state(participant_ids, kinds, state)
    # The few distinct programs and assets, one statement after the other: run together, they
    # contend for the GIL (each row a driver thread hands over needs it) and cost more CPU and
    # no less time (measured on two cores).
    if StateKind.BALANCES in kinds and "asset" in selected_names(selected_under(node, "balances")):
        asset_ids = {b.asset_id: None for rows in state.balances.values() for b in rows}
        await _primed(loaders.assets, list(asset_ids))
    if StateKind.PROGRAMS in kinds:
        await _prime_programs(
            loaders, {pid: state.program_ids.get(pid, []) for pid in participant_ids}
        )


async def _prime_programs(loaders: Loaders, program_ids: dict[uuid.UUID, list[uuid.UUID]]) -> None:
    """Each participant's programs, in enrollment order, from the distinct programs."""
    distinct = list({pid: None for ids in program_ids.values() for pid in ids})
    programs = dict(zip(distinct, await _primed(loaders.program_by_id, distinct), strict=True))
    loaders.programs.prime_many(
        {
            participant: [p for p in map(programs.get, ids) if p is not None]
            for participant, ids in program_ids.items()
        }
    )


async def _primed(loader: DataLoader[K, T], keys: Sequence[K]) -> list[T]:
    """The values of `keys`: those `loader` does not hold yet loaded in one batch and primed."""
    values = {key: held(loader, key) for key in keys}
    missing = [key for key, value in values.items() if value is NOT_HELD]
    if missing:
        loaded: dict[K, T] = {}
        for key, value in zip(missing, await loader.load_fn(missing), strict=True):
            if isinstance(value, BaseException):  # pragma: no cover - our batches raise instead
                raise value
            loaded[key] = value
        loader.prime_many(loaded)
        values.update(loaded)
    return [values[key] for key in keys]


def page_node_selections(info: Info) -> list[Selection]:
    """What a connection query selects on its nodes (`edges { node { … } }`)."""
    connection = [s for field in info.selected_fields for s in field.selections]
    return selected_under(selected_under(connection, "edges"), "node")
