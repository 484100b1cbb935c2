"""An execution context that completes simple fields without graphql-core's general machinery.

Which fields are simple, and how each is read, is `app.graphql.field_steps`. Their values are
completed in a tight loop that keeps graphql-core's rules: a null where the schema forbids one is
the same located error, a failing item nulls the same item, awaitables are gathered and their
errors handled the same way, through the executor's own `handle_field_error`. A whole subtree of
simple fields is completed at once (`app.graphql.subtrees`). Every other field, and any value the
quick way was not built for (an awaitable, a list that is not a `list`), takes the ordinary path.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar

from graphql import (
    GraphQLObjectType,
    GraphQLOutputType,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.execution.executor import to_nodes
from graphql.pyutils import AwaitableOrValue, Path, Undefined, gather_with_cancel
from graphql.pyutils.undefined import UndefinedType
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from app.graphql.awaitables import is_awaitable
from app.graphql.field_steps import ContextOnly, Shape, Step, plan_field
from app.graphql.subtrees import Build, compile_subtree

__all__ = ["QuickExecutionContext"]

#: A selection's fields in order: response name, field group, and the step when the field is a
#: plain leaf (read and coerced inline by `execute_fields`).
_Selection = tuple[tuple[str, FieldDetailsList, Step | None], ...]


class QuickExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context, with the quick path for simple fields."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.is_awaitable = is_awaitable  # type: ignore[assignment]
        self._context_only = ContextOnly(self.context_value)
        # Keyed by identity: graphql-core memoizes a selection's field groups for the whole
        # execution; the value holds the group too, so its id cannot be reused meanwhile.
        self._steps: dict[tuple[str, int], tuple[FieldDetailsList, Step | None]] = {}
        self._selections: dict[tuple[str, int], tuple[GroupedFieldSet, _Selection]] = {}
        self._subtrees: dict[int, tuple[Step, Build | None]] = {}

    def build_response(self, data: dict[str, Any] | None) -> Any:
        """graphql-core's response; then the plans made for this execution are dropped: the
        executor refers to itself (`async_helpers`), so what it holds waits for the garbage
        collector otherwise (see `app.graphql.context.ReleaseLoaders`)."""
        response = super().build_response(data)
        self._steps.clear()
        self._selections.clear()
        self._subtrees.clear()
        return response

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        """graphql-core's `execute_fields`, with plain leaf fields read and coerced in the loop
        itself (no `Path`, no call per field) when their value completes without trouble."""
        if position_context is not None:  # pragma: no cover - the schema has no @defer
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        results: dict[str, Any] = {}
        waiting: list[str] = []
        is_awaitable = self.is_awaitable
        complete_leaf = self.complete_leaf_value
        try:
            for name, details, leaf in self._selection(parent_type, grouped_field_set):
                if leaf is not None:
                    try:
                        value = leaf.read(source_value)
                        if value is None:
                            if not leaf.shape.non_null:
                                results[name] = None
                                continue
                        elif not (
                            isinstance(value, Exception)
                            or value is Undefined
                            or is_awaitable(value)
                        ):
                            results[name] = complete_leaf(leaf.shape.leaf, value)  # type: ignore[arg-type]
                            continue
                    except Exception:
                        pass  # the field's own path, below, reports it
                result = self.execute_field(
                    parent_type, source_value, details, Path(path, name, parent_type.name), None
                )
                if result is Undefined:
                    continue
                results[name] = result
                if is_awaitable(result):
                    waiting.append(name)
        except Exception:
            if waiting:
                self.settle_in_background([results[name] for name in waiting])
            raise
        return _filled(results, waiting) if waiting else results

    def _selection(self, parent_type: GraphQLObjectType, fields: GroupedFieldSet) -> _Selection:
        key = (parent_type.name, id(fields))
        known = self._selections.get(key)
        if known is None:
            selection: list[tuple[str, FieldDetailsList, Step | None]] = []
            for name, details in fields.items():
                step = self.step(parent_type, details)
                plain_leaf = step is not None and not step.lazy and step.shape.leaf is not None
                selection.append((name, details, step if plain_leaf else None))
            known = self._selections[key] = (fields, tuple(selection))
        return known[1]

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> AwaitableOrValue[Any] | UndefinedType:
        step = self.step(parent_type, field_details_list)
        if step is None or position_context is not None:
            return super().execute_field(
                parent_type, source, field_details_list, path, position_context
            )
        return_type = step.field.type
        try:
            value = step.read(source)
            if self.is_awaitable(value):  # graphql-core awaits any resolver's awaitable
                info = self.build_resolve_info(
                    step.field, to_nodes(field_details_list), parent_type, path
                )
                return self.complete_awaitable_value(
                    return_type, field_details_list, info, path, value, None
                )
            if step.shape.leaf is None:
                build = self._subtree(step, field_details_list)
                if build is not None:
                    try:
                        return build(value)
                    except Exception:
                        pass  # the field-by-field path, below, reports it
            completed = self._complete(step, step.shape, field_details_list, path, value)
        except Exception as error:
            self.handle_field_error(error, return_type, field_details_list, path)
            return None
        if self.is_awaitable(completed):
            return self._guarded(completed, return_type, field_details_list, path)
        return completed

    def _subtree(self, step: Step, details: FieldDetailsList) -> Build | None:
        known = self._subtrees.get(id(step))
        if known is None:
            known = self._subtrees[id(step)] = (step, compile_subtree(self, step.shape, details))
        return known[1]

    def step(self, parent_type: GraphQLObjectType, details: FieldDetailsList) -> Step | None:
        key = (parent_type.name, id(details))
        known = self._steps.get(key)
        if known is None:
            field = self.schema.get_field(parent_type, details[0].node.name.value)
            step = (
                None
                if field is None
                else plan_field(
                    parent_type,
                    field,
                    details,
                    middleware=self.middleware_manager,
                    info=self._context_only,
                )
            )
            known = self._steps[key] = (details, step)
        return known[1]

    def _complete(
        self,
        step: Step,
        shape: Shape,
        details: FieldDetailsList,
        path: Path,
        value: Any,
    ) -> AwaitableOrValue[Any]:
        if isinstance(value, Exception):
            raise value
        if value is None or value is Undefined:
            if shape.non_null:
                raise TypeError(step.null_message)
            return None
        if shape.leaf is not None:
            return self.complete_leaf_value(shape.leaf, value)
        if shape.object_type is not None:
            fields, deferred, _ = self.collect_subfields(shape.object_type, details)
            if deferred:  # pragma: no cover - the schema has no @defer
                raise AssertionError("@defer is not enabled")
            return self.execute_fields(shape.object_type, value, path, fields, None)
        assert shape.item is not None
        if not isinstance(value, list | tuple) or any(map(self.is_awaitable, value)):
            info = self.build_resolve_info(step.field, to_nodes(details), step.parent_type, path)
            return self.complete_value(step.field.type, details, info, path, value, None)
        return self._complete_items(step, shape.item, details, path, value)

    def _complete_items(
        self,
        step: Step,
        item: Shape,
        details: FieldDetailsList,
        path: Path,
        values: list[Any] | tuple[Any, ...],
    ) -> AwaitableOrValue[list[Any]]:
        completed: list[Any] = []
        waiting: list[int] = []
        try:
            for index, value in enumerate(values):
                item_path = path.add_key(index, None)
                try:
                    result = self._complete(step, item, details, item_path, value)
                    if self.is_awaitable(result):
                        result = self._guarded(result, item.graphql_type, details, item_path)
                        waiting.append(index)
                except Exception as error:
                    self.handle_field_error(error, item.graphql_type, details, item_path)
                    result = None
                completed.append(result)
        except Exception:  # a non-null item failed: settle the others, as graphql-core does
            if waiting:
                self.settle_in_background([completed[index] for index in waiting])
            raise
        return _filled(completed, waiting) if waiting else completed

    async def _guarded(
        self,
        completing: Awaitable[Any],
        return_type: GraphQLOutputType,
        details: FieldDetailsList,
        path: Path,
    ) -> Any:
        try:
            return await completing
        except Exception as error:
            self.handle_field_error(error, return_type, details, path)
            return None


C = TypeVar("C", dict[str, Any], list[Any])


async def _filled(container: C, waiting: list[Any]) -> C:
    """`container` with the awaitables at the `waiting` keys awaited together, in place."""
    values = await gather_with_cancel(*(container[key] for key in waiting))
    for key, value in zip(waiting, values, strict=True):
        container[key] = value
    return container
