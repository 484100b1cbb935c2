"""Whole subtrees of simple fields, completed by one function built per selection.

Below a connection's `edges`, a page is a tree of simple fields (see `app.graphql.execution`):
plain attributes and lazy fields whose loaders hold their values. For such a tree the quick
execution path still spends a few calls per object and field. Here the selection is turned,
once per request, into nested closures that read and coerce the whole tree in one pass.

The closures know only the happy path. Anything else — a null where the schema forbids one, an
exception, a coercion that fails, a lazy field whose value must still be loaded (its coroutine
is closed unstarted), a list that is not a `list` — raises `Unusual`, and the caller completes
the subtree again the ordinary way, which reads the same values and reports the trouble exactly
as graphql-core would. Reading is free of side effects (attributes, loader caches), so reading
twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from graphql import GraphQLID, GraphQLString
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import Undefined

from app.graphql.awaitables import NEVER_AWAITABLE
from app.graphql.field_steps import Shape

if TYPE_CHECKING:
    from app.graphql.execution import QuickExecutionContext

__all__ = ["Build", "Unusual", "compile_subtree"]

#: Completes a field's value (read from its source) into its JSON-ready result.
Build = Callable[[Any], Any]
#: A field of an object: response name, how to read its value, how to complete it, whether it is
#: a lazy field, whether it is a String or ID (a `str` value is then its own result).
_Entry = tuple[str, Callable[[Any], Any], Build, bool, bool]


class Unusual(Exception):
    """The value needs the ordinary path."""


def compile_subtree(
    context: QuickExecutionContext, shape: Shape, details: FieldDetailsList
) -> Build | None:
    """The builder for a field of `shape` selected by `details`, or None when some field below
    is not simple (it then takes the ordinary path, field by field)."""
    if shape.leaf is not None:
        return _leaf(shape.leaf.coerce_output_value, shape.non_null)
    if shape.item is not None:
        item = compile_subtree(context, shape.item, details)
        if item is None:
            return None
        return _items(item, shape.non_null, context.is_awaitable)
    assert shape.object_type is not None
    object_type = shape.object_type
    fields, deferred, _ = context.collect_subfields(object_type, details)
    if deferred:  # pragma: no cover - the schema has no @defer
        return None
    entries: list[_Entry] = []
    for name, sub_details in fields.items():
        if sub_details[0].node.name.value == "__typename":
            entries.append((name, _constant(object_type.name), _same, False, False))
            continue
        step = context.step(object_type, sub_details)
        if step is None:
            return None
        build = compile_subtree(context, step.shape, sub_details)
        if build is None:
            return None
        text = step.shape.leaf is GraphQLString or step.shape.leaf is GraphQLID
        entries.append((name, step.read, build, step.lazy, text))
    return _object(tuple(entries), shape.non_null, context.is_awaitable)


def _same(value: Any) -> Any:
    return value


def _constant(value: str) -> Callable[[Any], str]:
    return lambda _source: value


# Each builder repeats the null checks inline rather than sharing a wrapper: that would cost a
# call per value, and these run for every field of a page.


def _leaf(coerce: Callable[[Any], Any], non_null: bool) -> Build:
    def build(value: Any) -> Any:
        if value is None:
            if non_null:
                raise Unusual
            return None
        if value is Undefined or isinstance(value, Exception):
            raise Unusual
        coerced = coerce(value)
        if coerced is None or coerced is Undefined:
            raise Unusual
        return coerced

    return build


def _items(item: Build, non_null: bool, is_awaitable: Callable[[Any], bool]) -> Build:
    def build(value: Any) -> Any:
        if value is None:
            if non_null:
                raise Unusual
            return None
        if type(value) is not list:
            raise Unusual
        for each in value:
            if type(each) not in NEVER_AWAITABLE and is_awaitable(each):
                raise Unusual
        return [item(each) for each in value]

    return build


def _object(
    entries: tuple[_Entry, ...],
    non_null: bool,
    is_awaitable: Callable[[Any], bool],
) -> Build:
    def build(source: Any) -> Any:
        if source is None:
            if non_null:
                raise Unusual
            return None
        if source is Undefined or isinstance(source, Exception):
            raise Unusual
        result = {}
        # Each value's type is tested first: that settles almost every value without a call.
        for name, read, complete, lazy, text in entries:
            value = read(source)
            if text and type(value) is str:
                result[name] = value  # what String and ID make of a str
                continue
            if lazy:
                if type(value) is list:
                    for each in value:
                        if type(each) not in NEVER_AWAITABLE and is_awaitable(each):
                            _close_unfinished(value, is_awaitable)
                            raise Unusual
                elif type(value) not in NEVER_AWAITABLE and is_awaitable(value):
                    _close_unfinished(value, is_awaitable)
                    raise Unusual
            elif type(value) not in NEVER_AWAITABLE and is_awaitable(value):
                raise Unusual  # graphql-core awaits it: the ordinary path will
            result[name] = complete(value)
        return result

    return build


def _close_unfinished(value: Any, is_awaitable: Callable[[Any], bool]) -> None:
    """Close a lazy field's awaitables (its value, or items of it) unstarted: the ordinary path
    calls the resolver again and awaits what it gets then."""
    pending = [value] if is_awaitable(value) else []
    if type(value) is list:
        pending.extend(filter(is_awaitable, value))
    for awaitable in pending:
        close = getattr(awaitable, "close", None)
        if close is not None:
            close()
