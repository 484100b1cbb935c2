"""Apply Alembic migrations from code (the CLI, `scripts/serve`, the tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

__all__ = ["alembic_config", "upgrade_to_head"]

_ROOT = Path(__file__).resolve().parent.parent


def alembic_config(database_url: str) -> Config:
    config = Config(str(_ROOT / "alembic.ini"))
    config.attributes["database_url"] = database_url
    return config


def upgrade_to_head(database_url: str) -> None:
    """Bring the database to the newest schema. Blocking: call it outside a running event loop
    (or through `asyncio.to_thread`)."""
    command.upgrade(alembic_config(database_url), "head")
