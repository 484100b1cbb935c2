"""The quick execution path where values are awaitables, or resolvers are shaped unusually: the
same answers as graphql-core, and no coroutine left unawaited (cases found by review)."""

from __future__ import annotations

import asyncio
import gc
import types
import uuid
import warnings
from dataclasses import dataclass
from typing import Any

import pytest
import strawberry
from strawberry.scalars import JSON
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from app.graphql.execution import QuickExecutionContext
from app.graphql.lazy import Lazy, lazy_field

U = uuid.UUID(int=7)
LOADED: list[int] = []


async def later(value: Any) -> Any:
    await asyncio.sleep(0)
    return value


@strawberry.type
class Leaf:
    name: str


@strawberry.type
class Node:
    id: int
    uid: uuid.UUID
    data: JSON
    child: Leaf | None

    @lazy_field(list[uuid.UUID])
    def ids(self, info: strawberry.Info) -> Lazy[list[uuid.UUID]]:
        return [later(U), U]  # type: ignore[list-item]

    @lazy_field(Leaf)
    def loaded(self, info: strawberry.Info) -> Lazy[Leaf]:
        async def load() -> Leaf:
            await asyncio.sleep(0)
            LOADED.append(self.id)
            return Leaf(name="x")

        return load()

    @lazy_field(int)
    def no_info(self) -> Lazy[int]:
        return self.id

    @lazy_field(int)
    def keyword_info(self, *, info: strawberry.Info) -> Lazy[int]:
        return self.id


@strawberry.type
class Holder:
    node: Node
    nodes: list[Node]


def _node(id: int, *, pending: bool) -> Node:
    if pending:  # plain fields holding awaitables: graphql-core awaits them
        return Node(id=id, uid=later(U), data=later({"a": 1}), child=later(Leaf(name="c")))  # type: ignore[arg-type]
    return Node(id=id, uid=U, data={"a": 1}, child=Leaf(name="c"))  # type: ignore[arg-type]


@strawberry.type
class Query:
    @strawberry.field
    def node(self) -> Node:
        return _node(1, pending=True)

    @strawberry.field
    def holder(self) -> Holder:
        return Holder(node=_node(2, pending=False), nodes=[_node(3, pending=False)])

    @strawberry.field
    def broken(self) -> Holder | None:
        return Holder(node=_node(4, pending=False), nodes=[_node(5, pending=False), None])  # type: ignore[list-item]


QUERIES = [
    "{ node { id uid data child { name } } }",
    "{ holder { node { uid data child { name } ids } nodes { ids noInfo keywordInfo } } }",
    "{ holder { nodes { id loaded { name } } } }",
    "{ broken { nodes { id loaded { name } } } }",
]


def _answer(result: Any) -> tuple[Any, list[tuple[str, Any]]]:
    return result.data, sorted((e.message, e.path) for e in result.errors or [])


@pytest.mark.parametrize("query", QUERIES)
async def test_awaitables_and_resolver_shapes_answer_as_graphql_core_does(query: str) -> None:
    answers = []
    loads = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for context in (QuickExecutionContext, StrawberryGraphQLCoreExecutionContext):
            schema = strawberry.Schema(query=Query, execution_context_class=context)
            LOADED.clear()
            answers.append(_answer(await schema.execute(query)))
            await asyncio.sleep(0.01)  # what settles in the background, settles
            loads.append(sorted(LOADED))
        gc.collect()
    assert answers[0] == answers[1]
    assert loads[0] == loads[1]
    assert not [w for w in caught if "never awaited" in str(w.message)]


def test_is_awaitable_answers_by_type_only_where_instances_cannot_differ() -> None:
    from app.graphql.awaitables import is_awaitable

    @dataclass(frozen=True, slots=True)
    class Row:
        value: int

    class Loose:
        pass

    assert not is_awaitable(Row(1))
    assert not is_awaitable(Row(2))  # answered from the type now

    loose = Loose()
    assert not is_awaitable(loose)
    loose.__await__ = lambda: iter(())  # type: ignore[attr-defined]
    assert is_awaitable(loose)  # instances with a __dict__ are still asked one by one

    @types.coroutine
    def generator_based() -> Any:
        yield

    plain_generator = (n for n in range(1))
    assert not is_awaitable(plain_generator)
    awaitable_generator = generator_based()
    assert is_awaitable(awaitable_generator)  # the flag is on the instance: never cached by type

    async def native() -> None:
        return None

    coroutine = native()
    assert is_awaitable(coroutine)
    coroutine.close()


def test_the_schemas_own_object_types_are_answered_by_type() -> None:
    from app.graphql.awaitables import NEVER_AWAITABLE, register_output_types
    from app.graphql.listing import ParticipantEdge
    from app.graphql.program_types import Asset, Program

    assert {ParticipantEdge, Program, Asset} <= NEVER_AWAITABLE  # registered by build_schema

    class Own:
        def __await__(self) -> Any:
            return iter(())

    register_output_types([Own])
    assert Own not in NEVER_AWAITABLE  # a class that is awaitable itself is left out
