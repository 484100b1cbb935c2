"""What differs between the two databases in the statements we build."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["insert_for"]


def insert_for(session: AsyncSession) -> Any:
    """The dialect's `insert`, which knows `ON CONFLICT`."""
    return sqlite.insert if session.get_bind().dialect.name == "sqlite" else postgresql.insert
