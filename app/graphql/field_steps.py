"""Which fields the quick execution path takes, and how it reads and completes each.

graphql-core treats every field alike: a resolve-info object, Strawberry's resolver wrappers
(arguments, extensions, its own `Info`), then a recursive value completion of half a dozen calls
per list item, about 10 µs a field. A page of 100 participants with their programs, balances,
counters and tiers is ~2,500 fields, nearly all of them simple:

- *plain* fields: attributes that Strawberry itself reads with `getattr` and no `Info`
  (its "basic" fields: no resolver, permissions or extensions);
- *lazy* fields declared with `app.graphql.lazy.lazy_field`: a resolver that reads only
  `info.context`, takes no arguments and answers from a DataLoader.

A simple field whose type is built from scalars, enums, objects (not interfaces or unions) and
one level of list gets a `Step`: how to read its value and the `Shape` to complete it by.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from operator import attrgetter
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    is_leaf_type,
    is_object_type,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.execution.middleware import MiddlewareManager
from strawberry.types.field import StrawberryField

from app.graphql.lazy import LAZY

__all__ = ["ContextOnly", "Shape", "Step", "plan_field"]

#: The names Strawberry gives the resolvers of basic fields and of fields with a sync resolver
#: (`GraphQLCoreConverter.from_resolver`). Should a release rename them, fields merely take the
#: ordinary path again; `tests/graphql/test_execution.py` notices.
_BASIC_RESOLVER = "_get_basic_result"
_SYNC_RESOLVER = "_resolver"


@dataclass(frozen=True, slots=True)
class Shape:
    """A field's type, as the quick completion walks it: exactly one of leaf, object, item."""

    graphql_type: GraphQLOutputType
    non_null: bool
    leaf: GraphQLLeafType | None = None
    object_type: GraphQLObjectType | None = None
    item: Shape | None = None


def _shape(graphql_type: GraphQLOutputType, *, in_list: bool = False) -> Shape | None:
    kind = graphql_type.of_type if isinstance(graphql_type, GraphQLNonNull) else graphql_type
    non_null = kind is not graphql_type
    if is_leaf_type(kind):
        return Shape(graphql_type, non_null, leaf=kind)
    if is_object_type(kind) and kind.is_type_of is None:
        return Shape(graphql_type, non_null, object_type=kind)
    if isinstance(kind, GraphQLList) and not in_list:
        item = _shape(kind.of_type, in_list=True)
        return None if item is None else Shape(graphql_type, non_null, item=item)
    return None


@dataclass(frozen=True, slots=True)
class Step:
    """How to resolve and complete one field quickly."""

    read: Callable[[Any], Any]
    #: A lazy field: its value may be an awaitable, which takes the ordinary path.
    lazy: bool
    shape: Shape
    parent_type: GraphQLObjectType
    field: GraphQLField
    null_message: str


@dataclass(frozen=True, slots=True)
class ContextOnly:
    """What a lazy field's resolver receives for `info` on the quick path."""

    context: Any


@cache  # plans are made per request; a signature is read once
def _takes_self_and_info(function: Callable[..., Any]) -> bool:
    """True for `def f(self, info)`, the call the quick path makes (positionally)."""
    parameters = list(inspect.signature(function).parameters.values())
    return len(parameters) == 2 and all(
        p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD for p in parameters
    )


def plan_field(
    parent_type: GraphQLObjectType,
    field: GraphQLField,
    details: FieldDetailsList,
    *,
    middleware: MiddlewareManager | None,
    info: ContextOnly,
) -> Step | None:
    """How to read and complete `field` quickly, or None when it must take the ordinary path."""
    resolve = field.resolve
    if resolve is None:
        return None
    if middleware is not None and middleware.get_field_resolver(resolve) is not resolve:
        return None  # an extension wraps every resolver (`SchemaExtension.resolve`)
    definition = field.extensions.get("strawberry-definition")
    shape = _shape(field.type)
    if not isinstance(definition, StrawberryField) or shape is None:
        return None
    resolver_name = getattr(resolve, "__name__", None)
    message = (  # graphql-core's words
        f"Cannot return null for non-nullable field {parent_type}.{details[0].node.name.value}."
    )
    if definition.is_basic_field and resolver_name == _BASIC_RESOLVER:
        if definition.default_resolver is not getattr:
            return None
        return Step(attrgetter(definition.python_name), False, shape, parent_type, field, message)
    resolver = definition.base_resolver
    if (
        definition.metadata.get(LAZY)
        and resolver is not None
        and resolver_name == _SYNC_RESOLVER
        and not definition.extensions
        and not definition.arguments
        and not any(node.node.arguments for node in details)
        and _takes_self_and_info(resolver.wrapped_func)
    ):
        function: Callable[[Any, Any], Any] = resolver.wrapped_func  # type: ignore[assignment]
        return Step(lambda source: function(source, info), True, shape, parent_type, field, message)
    return None
