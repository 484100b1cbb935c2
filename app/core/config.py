"""Settings, read once from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DEFAULT_DATABASE_URL", "Settings"]

DEFAULT_DATABASE_URL = f"sqlite+aiosqlite:///{Path('data/loyalty.db')}"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the app can be told. Build it with `Settings.from_env()` or directly in tests."""

    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8000
    #: Requests bodies above this many bytes are refused with 413.
    max_body_bytes: int = 1024 * 1024
    #: SQLite waits this long for a competing writer before giving up.
    sqlite_busy_timeout_ms: int = 5000
    #: SQLite page cache per connection, in MiB. SQLite's own default (2 MiB) is smaller than
    #: what one page of 100 participants with their state touches, so every such read would
    #: fetch its pages from the OS again. Memory is taken only as pages are read.
    sqlite_cache_mb: int = 16
    #: PostgreSQL connection pool (per process).
    db_pool_size: int = 10
    db_max_overflow: int = 10
    db_pool_timeout_s: float = 30.0
    #: PostgreSQL: seconds before a pooled connection is replaced (survives server-side timeouts).
    db_pool_recycle_s: int = 1800
    #: PostgreSQL: prepared statements cached per connection. 0 turns caching off and names each
    #: statement uniquely, which PgBouncer in transaction pooling mode needs.
    db_statement_cache_size: int = 100
    #: PostgreSQL: a statement running longer than this many seconds is cancelled.
    db_command_timeout_s: float = 30.0
    #: Bounded LRU caches for parsed and validated GraphQL documents.
    graphql_document_cache_size: int = 256
    graphql_ide: bool = True
    #: When off, introspection is refused and errors carry no "Did you mean …?" hints.
    graphql_introspection: bool = True
    #: Refused before execution: deeper selections (counted below the top-level field, so
    #: `participants { edges { node { id } } }` is 3), more aliases, longer documents.
    graphql_max_depth: int = 10
    graphql_max_aliases: int = 30
    graphql_max_tokens: int = 5000
    #: Refused while running: a request whose connections ask for more nodes in all than this
    #: (`programs(first: 200) { participants(first: 200) }` asks for 200 + 200 * 200).
    graphql_max_nodes: int = 25_000
    #: Seconds a process trusts a key it has checked: a key revoked elsewhere (CLI, another
    #: worker) stops working within this; 0 looks every key up on every request.
    auth_cache_seconds: float = 5.0
    #: Per-organization token bucket: sustained requests per second (0 = off) and burst size.
    rate_limit_per_second: float = 0.0
    rate_limit_burst: int = 30
    #: Shares rate-limit buckets between workers; without it each process counts alone.
    redis_url: str | None = None
    #: Signs page cursors; when unset, a key derived from DATABASE_URL (shared by all workers).
    cursor_secret: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        defaults = cls()
        return cls(
            database_url=env.get("DATABASE_URL") or defaults.database_url,
            host=env.get("HOST") or defaults.host,
            port=int(env.get("PORT") or defaults.port),
            db_pool_size=int(env.get("DB_POOL_SIZE") or defaults.db_pool_size),
            db_max_overflow=int(env.get("DB_MAX_OVERFLOW") or defaults.db_max_overflow),
            db_pool_timeout_s=float(env.get("DB_POOL_TIMEOUT") or defaults.db_pool_timeout_s),
            db_pool_recycle_s=int(env.get("DB_POOL_RECYCLE") or defaults.db_pool_recycle_s),
            db_statement_cache_size=int(
                env.get("DB_STATEMENT_CACHE_SIZE") or defaults.db_statement_cache_size
            ),
            db_command_timeout_s=float(
                env.get("DB_COMMAND_TIMEOUT") or defaults.db_command_timeout_s
            ),
            sqlite_busy_timeout_ms=int(
                env.get("SQLITE_BUSY_TIMEOUT_MS") or defaults.sqlite_busy_timeout_ms
            ),
            sqlite_cache_mb=int(env.get("SQLITE_CACHE_MB") or defaults.sqlite_cache_mb),
            graphql_ide=_flag(env.get("GRAPHQL_IDE"), default=defaults.graphql_ide),
            graphql_introspection=_flag(
                env.get("GRAPHQL_INTROSPECTION"), default=defaults.graphql_introspection
            ),
            graphql_max_depth=int(env.get("GRAPHQL_MAX_DEPTH") or defaults.graphql_max_depth),
            graphql_max_aliases=int(env.get("GRAPHQL_MAX_ALIASES") or defaults.graphql_max_aliases),
            graphql_max_tokens=int(env.get("GRAPHQL_MAX_TOKENS") or defaults.graphql_max_tokens),
            graphql_max_nodes=int(env.get("GRAPHQL_MAX_NODES") or defaults.graphql_max_nodes),
            cursor_secret=env.get("CURSOR_SECRET") or None,
            rate_limit_per_second=float(
                env.get("RATE_LIMIT_PER_SECOND") or defaults.rate_limit_per_second
            ),
            rate_limit_burst=int(env.get("RATE_LIMIT_BURST") or defaults.rate_limit_burst),
            redis_url=env.get("REDIS_URL") or None,
            auth_cache_seconds=float(env.get("AUTH_CACHE_SECONDS") or defaults.auth_cache_seconds),
        )


def _flag(value: str | None, *, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}
