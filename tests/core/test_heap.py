"""Startup objects are frozen out of the collector's reach (see `app.core.heap`)."""

from __future__ import annotations

import gc

from app.core.config import Settings
from app.core.heap import YOUNG_THRESHOLD
from app.main import create_app


async def test_starting_the_app_freezes_the_startup_heap(tmp_path: object) -> None:
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/heap.db"))
    async with app.router.lifespan_context(app):
        assert gc.get_freeze_count() > 10_000
        assert gc.get_threshold()[0] == YOUNG_THRESHOLD
