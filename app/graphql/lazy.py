"""Lazy fields: resolvers that answer from a DataLoader, right away when it holds the value."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeAlias, TypeVar, cast

import strawberry

__all__ = ["LAZY", "Lazy", "described_field", "described_mutation", "each", "lazy_field"]

T = TypeVar("T")
M = TypeVar("M")
F = TypeVar("F", bound=Callable[..., Any])

#: What a lazy field's resolver returns: the value when its loader holds it already, else an
#: awaitable (see `now_or_later`).
Lazy: TypeAlias = T | Awaitable[T]


#: Marks a lazy field in its Strawberry metadata, for `app.graphql.execution`.
LAZY = "app.lazy"


def lazy_field(graphql_type: object, *, description: str | None = None) -> Callable[[F], F]:
    """`@strawberry.field` for a resolver typed `Lazy[X]`: the schema shows `graphql_type`.

    The resolver takes `(self, info)`, no arguments, and reads nothing of `info` but
    `info.context`: the quick execution path (`app.graphql.execution`) calls it with a
    stand-in that carries only the context.
    """
    field = strawberry.field(
        graphql_type=graphql_type, description=description, metadata={LAZY: True}
    )
    return cast(Callable[[F], F], field)


def described_field(description: str) -> Callable[[F], F]:
    """`@strawberry.field(description=...)`, keeping the resolver's type for mypy."""
    return cast(Callable[[F], F], strawberry.field(description=description))


def each(convert: Callable[[M], T]) -> Callable[[Iterable[M]], list[T]]:
    return lambda rows: [convert(row) for row in rows]


def described_mutation(description: str) -> Callable[[F], F]:
    """`@strawberry.mutation(description=...)`, keeping the resolver's type for mypy."""
    return cast(Callable[[F], F], strawberry.mutation(description=description))
