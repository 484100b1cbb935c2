"""Load a page's lazy fields before its nodes resolve.

The DataLoaders already batch a page's `programs`, `balances`, … into one query each. But a
resolver that awaits its loader costs an asyncio task per node and field, which at a page of 100
outweighs the SQL. So a connection looks at what the query selects under `node`, loads exactly
that for the whole page up front (with the loaders' own batch functions, one statement per
field, primed into their caches without a future and a callback per key), and the node
resolvers then find their data already there (see `app.graphql.loaders.now_or_later`). Fields
that are not selected are never loaded.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import TypeVar

from strawberry.dataloader import DataLoader
from strawberry.types.nodes import SelectedField, Selection

from app.crud import StateKind
from app.graphql.context import Info
from app.graphql.loader import NOT_HELD, held
from app.graphql.loaders import Loaders

__all__ = [
    "page_node_selections",
    "prefetch_participant_fields",
    "selected_names",
    "selected_under",
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


#: The kinds of state a Participant's fields read, and the loader each is kept in.
_KINDS: tuple[tuple[frozenset[str], StateKind, str], ...] = (
    (frozenset({"programs", "programIds"}), StateKind.PROGRAMS, "programs"),
    (frozenset({"balances"}), StateKind.BALANCES, "balances"),
    (frozenset({"counters"}), StateKind.COUNTERS, "counters"),
    (frozenset({"tiers"}), StateKind.TIERS, "tiers"),
)


async def prefetch_participant_fields(
    loaders: Loaders, participant_ids: Sequence[uuid.UUID], node: Sequence[Selection]
) -> None:
    """Load the lazy fields that `node` (a Participant's selections) asks for, for all ids:
    every kind of state in one statement, then the programs and assets it names."""
    if not participant_ids:
        return
    names = selected_names(node)
    wanted = {
        kind: getattr(loaders, attribute) for fields, kind, attribute in _KINDS if names & fields
    }
    if all(loader.empty for loader in wanted.values()):
        ids = list(participant_ids)  # a fresh request: nothing to check key by key
    else:
        missing = {
            pid
            for loader in wanted.values()
            for pid in participant_ids
            if held(loader, pid) is NOT_HELD
        }
        ids = [pid for pid in participant_ids if pid in missing]
    if not ids:
        return
    with_programs = StateKind.PROGRAMS in wanted
    with_assets = StateKind.BALANCES in wanted and "asset" in selected_names(
        selected_under(node, "balances")
    )
    found = await loaders.page.state(ids, frozenset(wanted))
    for kind, values in (
        (StateKind.BALANCES, found.balances),
        (StateKind.COUNTERS, found.counters),
        (StateKind.TIERS, found.tiers),
    ):
        if kind in wanted:
            wanted[kind].prime_many({pid: values.get(pid, []) for pid in ids})
    # Then the few distinct programs and assets it names, one statement after the other: run
    # together, they contend for the GIL (each row a driver thread hands over needs it) and
    # cost more CPU and no less time (measured on two cores).
    if with_assets:
        asset_ids = {b.asset_id: None for rows in found.balances.values() for b in rows}
        await _primed(loaders.assets, list(asset_ids))
    if with_programs:
        await _prime_programs(loaders, {pid: found.program_ids.get(pid, []) for pid in ids})


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
