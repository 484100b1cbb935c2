"""The quick execution path (`app.graphql.execution`) answers exactly what graphql-core would.

Each query runs twice over the same objects: on a schema with `QuickExecutionContext` and on
the same schema with Strawberry's own context. Data and errors (message and path) must match,
for good values and for every way a value can break the schema: nulls where they are forbidden,
values a scalar cannot hold, failing lazy fields, awaitables, iterables that are not lists.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from app.graphql.execution import QuickExecutionContext
from app.graphql.lazy import Lazy, lazy_field
from app.graphql.schema import schema as app_schema


@strawberry.type
class Leaf:
    name: str
    maybe: str | None = None


class Broken(Exception):
    pass


@strawberry.type
class Node:
    id: int
    name: str
    count: int | None
    tags: list[str]
    items: list[Leaf]
    maybe_items: list[Leaf | None] | None
    child: Leaf | None
    lazy_value: strawberry.Private[Any] = None

    @lazy_field(list[Leaf])
    def lazy(self, info: strawberry.Info) -> Lazy[list[Leaf]]:
        assert info.context["marker"] == "context"
        value = self.lazy_value
        if isinstance(value, Exception):
            raise value
        if value == "later":

            async def later() -> list[Leaf]:
                await asyncio.sleep(0)
                return [Leaf(name="awaited")]

            return later()
        if value == "later-broken":

            async def broken() -> list[Leaf]:
                raise Broken("later, broken")

            return broken()
        if value == "coroutine item":

            async def item() -> Leaf:
                return Leaf(name="awaited item")

            return [item(), Leaf(name="plain")]  # type: ignore[list-item]
        return value  # type: ignore[no-any-return]

    @lazy_field(Leaf | None)
    def lazy_one(self, info: strawberry.Info) -> Lazy[Leaf | None]:
        return Leaf(name=f"one-{self.id}")


def _node(id: int, **changes: Any) -> Node:
    values: dict[str, Any] = {
        "id": id,
        "name": f"node-{id}",
        "count": id * 10,
        "tags": ["a", "b"],
        "items": [Leaf(name="x"), Leaf(name="y", maybe="m")],
        "maybe_items": [Leaf(name="z"), None],
        "child": Leaf(name="c"),
        "lazy_value": [Leaf(name="l")],
    }
    values.update(changes)
    return Node(**values)


NODES: dict[str, list[Node | None]] = {}


@strawberry.type
class Holder:
    """Plain fields holding whole trees: they are completed as one subtree."""

    nodes: list[Node | None]
    strict_nodes: list[Node]


@strawberry.type
class Query:
    @strawberry.field
    def holder(self, case: str) -> Holder:
        return Holder(nodes=NODES[case], strict_nodes=NODES[case])  # type: ignore[arg-type]

    @strawberry.field
    def nodes(self, case: str) -> list[Node | None]:
        return NODES[case]

    @strawberry.field
    def strict_nodes(self, case: str) -> list[Node]:
        return NODES[case]  # type: ignore[return-value]


class Leaves:
    """Iterable, but not a list."""

    def __iter__(self) -> Iterator[Leaf]:
        return iter([Leaf(name="from an iterable")])


CASES: dict[str, list[Node | None]] = {
    "good": [_node(1), _node(2)],
    "null node": [_node(1), None],
    "null name": [_node(1, name=None), _node(2)],
    "bad count": [_node(1, count="many"), _node(2, count=2**40)],
    "null tag": [_node(1, tags=["a", None])],
    "null item": [_node(1, items=[Leaf(name="x"), None])],
    "item with null name": [_node(1, items=[Leaf(name=None)])],  # type: ignore[arg-type]
    "maybe item with null name": [_node(1, maybe_items=[Leaf(name=None), Leaf(name="ok")])],  # type: ignore[arg-type]
    "items not a list": [_node(1, items=Leaves(), maybe_items=(Leaf(name="t"),))],
    "items not iterable": [_node(1, items=7)],
    "exception as a value": [_node(1, child=Broken("as a value"), count=Broken("count"))],
    "lazy raises": [_node(1, lazy_value=Broken("lazy"))],
    "lazy awaits": [_node(1, lazy_value="later"), _node(2)],
    "lazy awaits and fails": [_node(1, lazy_value="later-broken"), _node(2)],
    "lazy null": [_node(1, lazy_value=None)],
    "awaitable item": [_node(1, lazy_value="coroutine item")],
}

#: One query per root field: when a root field's error nulls all of `data`, which errors of
#: the other root fields are still collected depends on timing, in graphql-core too.
QUERIES = {
    "resolved list": """
query($case: String!) {
  nodes(case: $case) {
    __typename id name count tags alias: name
    items { name maybe } maybeItems { name maybe } child { name ...L }
    lazy { name } lazyOne { name }
    ... on Node { more: items { name } }
    skipped: name @skip(if: true)
    included: id @include(if: true)
  }
}
fragment L on Leaf { maybe __typename }
""",
    "resolved strict list": """
query($case: String!) { strictNodes(case: $case) { id name items { name } lazy { name } } }
""",
    "plain subtrees": """
query($case: String!) {
  holder(case: $case) {
    nodes { __typename id name count tags items { name maybe } lazy { name } lazyOne { name }
            ...N maybeItems { name } }
    strictNodes { id name child { name } lazy { name __typename } }
  }
}
fragment N on Node { child { name maybe } more: tags }
""",
}


def _schemas() -> tuple[strawberry.Schema, strawberry.Schema]:
    quick = strawberry.Schema(query=Query, execution_context_class=QuickExecutionContext)
    ordinary = strawberry.Schema(
        query=Query, execution_context_class=StrawberryGraphQLCoreExecutionContext
    )
    return quick, ordinary


def _answer(result: Any) -> tuple[Any, list[tuple[str, list[str | int] | None]]]:
    errors = sorted(
        (error.message, error.path) for error in result.errors or []
    )  # gathered errors may arrive in any order
    return result.data, errors


@pytest.mark.parametrize("query", sorted(QUERIES))
@pytest.mark.parametrize("case", sorted(CASES))
async def test_quick_execution_answers_what_graphql_core_answers(case: str, query: str) -> None:
    NODES[case] = CASES[case]
    quick, ordinary = _schemas()
    context = {"marker": "context"}
    text = QUERIES[query]
    got = await quick.execute(text, variable_values={"case": case}, context_value=context)
    want = await ordinary.execute(text, variable_values={"case": case}, context_value=context)
    assert _answer(got) == _answer(want)
    if case == "good":
        assert got.errors is None
        assert got.data is not None
        assert "l" in str(got.data)


def test_the_app_schema_takes_the_quick_path_for_plain_and_lazy_fields() -> None:
    """Strawberry names the resolvers this path recognises; a rename would quietly slow every
    page down, so the plan for the app's own Participant fields is checked here."""
    from graphql import parse

    document = parse("{ participants { edges { node { id externalId programs { id } } } } }")
    context = QuickExecutionContext.build(app_schema._schema, document, context_value=None)
    assert isinstance(context, QuickExecutionContext)
    participant = app_schema._schema.get_type("Participant")
    selection = document.definitions[0].selection_set  # type: ignore[attr-defined]
    node = selection.selections[0].selection_set.selections[0].selection_set.selections[0]
    fields = {f.name.value: f for f in node.selection_set.selections}
    from graphql.execution.collect_fields import FieldDetails

    for name, lazy in (("id", False), ("externalId", False), ("programs", True)):
        step = context.step(participant, [FieldDetails(fields[name], None)])  # type: ignore[arg-type]
        assert step is not None, name
        assert step.lazy is lazy
