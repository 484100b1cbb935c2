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

import asyncio
import uuid
from collections.abc import Awaitable, Iterable, Sequence
from typing import TypeVar

from strawberry.dataloader import DataLoader
from strawberry.types.nodes import SelectedField, Selection

from app.graphql.context import Info
from app.graphql.loaders import NOT_HELD, Loaders, held

__all__ = ["page_node_selections", "prefetch_participant_fields", "selected_under"]

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


def _selected_names(selections: Iterable[Selection]) -> set[str]:
    names: set[str] = set()
    for selection in filter(_included, selections):
        if isinstance(selection, SelectedField):
            names.add(selection.name)
        else:
            names |= _selected_names(selection.selections)
    return names


async def prefetch_participant_fields(
    loaders: Loaders, participant_ids: Sequence[uuid.UUID], node: Sequence[Selection]
) -> None:
    """Load the lazy fields that `node` (a Participant's selections) asks for, for all ids."""
    if not participant_ids:
        return
    names = _selected_names(node)
    wanted: list[Awaitable[object]] = []
    if names & {"programs", "programIds"}:
        wanted.append(_primed(loaders.programs, participant_ids))
    if "counters" in names:
        wanted.append(_primed(loaders.counters, participant_ids))
    if "tiers" in names:
        wanted.append(_primed(loaders.tiers, participant_ids))
    if "balances" in names:
        wanted.append(_balances_with_assets(loaders, participant_ids, node))
    await asyncio.gather(*wanted)


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


async def _balances_with_assets(
    loaders: Loaders, participant_ids: Sequence[uuid.UUID], node: Sequence[Selection]
) -> None:
    balances = await _primed(loaders.balances, participant_ids)
    if "asset" in _selected_names(selected_under(node, "balances")):
        await _primed(loaders.assets, list({b.asset_id for rows in balances for b in rows}))


def page_node_selections(info: Info) -> list[Selection]:
    """What a connection query selects on its nodes (`edges { node { … } }`)."""
    connection = [s for field in info.selected_fields for s in field.selections]
    return selected_under(selected_under(connection, "edges"), "node")
