"""Column types that mean the same on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, Numeric, String, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine

__all__ = ["ExactDecimal", "InternedUuid", "JSONDocument", "UTCDateTime", "utc_from_text"]

#: JSON on SQLite, JSONB (mergeable with `||`, indexable) on PostgreSQL.
JSONDocument = JSON().with_variant(JSONB(), "postgresql")


def utc_from_text(text: str) -> datetime:
    """A timestamp written as ISO text, in UTC: naive text (how SQLite keeps them) is UTC, text
    with an offset (PostgreSQL's JSON) is converted."""
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes in, timezone-aware UTC datetimes out.

    SQLite keeps them as fixed-width text (so they sort correctly); PostgreSQL as `timestamptz`.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)

        # SQLite's text, read in one step (`utc_from_text`) instead of SQLAlchemy's regular
        # expression, then `process_result_value`'s second pass (a page reads hundreds).
        def process(value: str | None) -> datetime | None:
            return None if value is None else utc_from_text(value)

        return process


class ExactDecimal(TypeDecorator[Decimal]):
    """Exact decimals: `NUMERIC` on PostgreSQL, text on SQLite (whose NUMERIC is a float)."""

    impl = Numeric(asdecimal=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(80))
        return dialect.type_descriptor(Numeric(asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return format(value, "f")
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(value)


class InternedUuid(Uuid[uuid.UUID]):
    """`Uuid` for SQLite (which stores UUIDs as 32 hex digits), reading each distinct text once.

    A page of participants with their state reads ~1,300 UUIDs, mostly the same few hundred
    (participant, asset, program, organization ids) over and over; parsing text into a
    `uuid.UUID` is the biggest single cost of reading such rows. UUIDs are immutable, so one
    object per text is shared. The table holds at most `LIMIT` texts and starts over when full.
    Installed for SQLite engines by `app.core.db.create_engine` (the dialect's `colspecs`).
    """

    LIMIT = 65_536
    _known: dict[str, uuid.UUID] = {}

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], Any] | None:
        if not self.as_uuid or (dialect.supports_native_uuid and self.native_uuid):
            return super().result_processor(dialect, coltype)  # type: ignore[no-untyped-call,no-any-return]
        known = self._known
        parse = self.parse

        def process(value: str | None) -> uuid.UUID | None:
            if value is None:
                return None
            return known.get(value) or parse(value)

        return process

    @classmethod
    def parse(cls, text: str) -> uuid.UUID:
        """The UUID written as `text` (any form `uuid.UUID` reads), from the shared table."""
        found = cls._known.get(text)
        if found is None:
            if len(cls._known) >= cls.LIMIT:
                cls._known.clear()
            found = cls._known[text] = uuid.UUID(text)
        return found
