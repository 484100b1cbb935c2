"""Load a page's lazy fields before its nodes resolve.

The DataLoaders already batch a page's `programs`, `balances`, … into one query each. But a
resolver that awaits its loader costs an asyncio task per node and field, which at a page of 100
outweighs the SQL. So a connection looks at what the query selects under `node`, loads exactly
that for the whole page up front (still through the request's loaders, one statement per field),
and the node resolvers then find their data already in the loaders' caches (see
`app.graphql.loaders.now_or_later`). Fields that are not selected are never loaded.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Iterable, Sequence

from strawberry.types.nodes import SelectedField, Selection

from app.graphql.context import Info
from app.graphql.loaders import Loaders

__all__ = ["page_node_selections", "prefetch_participant_fields", "selected_under"]


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
        wanted.append(loaders.programs.load_many(participant_ids))
    if "counters" in names:
        wanted.append(loaders.counters.load_many(participant_ids))
    if "tiers" in names:
        wanted.append(loaders.tiers.load_many(participant_ids))
    if "balances" in names:
        wanted.append(_balances_with_assets(loaders, participant_ids, node))
    await asyncio.gather(*wanted)


async def _balances_with_assets(
    loaders: Loaders, participant_ids: Sequence[uuid.UUID], node: Sequence[Selection]
) -> None:
    balances = await loaders.balances.load_many(participant_ids)
    if "asset" in _selected_names(selected_under(node, "balances")):
        await loaders.assets.load_many(list({b.asset_id for rows in balances for b in rows}))


def page_node_selections(info: Info) -> list[Selection]:
    """What a connection query selects on its nodes (`edges { node { … } }`)."""
    connection = [s for field in info.selected_fields for s in field.selections]
    return selected_under(selected_under(connection, "edges"), "node")
