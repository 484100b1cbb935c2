"""Keyset pages and substring search, shared by every listing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, literal, tuple_

__all__ = ["contains", "keyset_page"]

#: Any SELECT; the page keeps its type.
Q = TypeVar("Q", bound=Select[*tuple[Any, ...]])


def contains(column: Any, text: str) -> ColumnElement[bool]:
    """Case-insensitive substring match, with LIKE's wildcards in `text` taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    condition: ColumnElement[bool] = column.ilike(f"%{escaped}%", escape="\\")
    return condition


def keyset_page(
    query: Q,
    columns: Sequence[Any],
    *,
    descending: bool,
    after: Sequence[Any] | None,
    limit: int,
) -> Q:
    """`query` ordered by `columns` (ending on a unique one), from just after the `after` key."""
    if after is not None:
        position = tuple_(*columns)
        bound = tuple_(*(literal(v, type_=c.type) for v, c in zip(after, columns, strict=True)))
        query = query.where(position < bound if descending else position > bound)
    return query.order_by(*(c.desc() if descending else c.asc() for c in columns)).limit(limit)
