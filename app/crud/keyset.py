"""Keyset pages and substring search, shared by every listing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import BindParameter, ColumnElement, Select, literal, tuple_

__all__ = ["contains", "keyset_page", "substring_pattern"]

#: Any SELECT; the page keeps its type.
Q = TypeVar("Q", bound=Select[*tuple[Any, ...]])


def substring_pattern(text: str) -> str:
    """The LIKE pattern (escaped with a backslash) matching `text` anywhere, taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contains(column: Any, text: str | BindParameter[str]) -> ColumnElement[bool]:
    """Case-insensitive substring match, with LIKE's wildcards in `text` taken literally (a
    bound parameter must hold a `substring_pattern`)."""
    pattern = text if isinstance(text, BindParameter) else substring_pattern(text)
    condition: ColumnElement[bool] = column.ilike(pattern, escape="\\")
    return condition


def keyset_page(
    query: Q,
    columns: Sequence[Any],
    *,
    descending: bool,
    after: Sequence[Any] | None,
    limit: int | BindParameter[int],
) -> Q:
    """`query` ordered by `columns` (ending on a unique one), from just after the `after` key.

    `after` and `limit` may be bound parameters, for a statement built once and run often."""
    if after is not None:
        position = tuple_(*columns)
        bound = tuple_(
            *(
                v if isinstance(v, BindParameter) else literal(v, type_=c.type)
                for v, c in zip(after, columns, strict=True)
            )
        )
        query = query.where(position < bound if descending else position > bound)
    return query.order_by(*(c.desc() if descending else c.asc() for c in columns)).limit(limit)
