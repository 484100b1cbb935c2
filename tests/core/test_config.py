"""Settings come from the environment only, with documented defaults."""

from __future__ import annotations

from app.core.config import DEFAULT_DATABASE_URL, Settings


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert DEFAULT_DATABASE_URL.startswith("sqlite+aiosqlite:///")
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.graphql_ide is True


def test_environment_overrides() -> None:
    settings = Settings.from_env(
        {
            "DATABASE_URL": "postgresql+asyncpg://u@db:5432/x",
            "HOST": "0.0.0.0",
            "PORT": "9000",
            "DB_POOL_SIZE": "3",
            "SQLITE_BUSY_TIMEOUT_MS": "250",
            "SQLITE_CACHE_MB": "64",
            "GRAPHQL_IDE": "false",
            "DB_STATEMENT_CACHE_SIZE": "0",
            "DB_COMMAND_TIMEOUT": "2.5",
            "DB_POOL_RECYCLE": "60",
        }
    )
    assert settings.db_statement_cache_size == 0
    assert (settings.db_command_timeout_s, settings.db_pool_recycle_s) == (2.5, 60)
    assert settings.database_url == "postgresql+asyncpg://u@db:5432/x"
    assert (settings.host, settings.port, settings.db_pool_size) == ("0.0.0.0", 9000, 3)
    assert (settings.sqlite_busy_timeout_ms, settings.sqlite_cache_mb) == (250, 64)
    assert settings.graphql_ide is False
