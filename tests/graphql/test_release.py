"""What a request read is freed when it ends, not left for the garbage collector: graphql-core's
executor refers to itself, and would keep the loaders' rows alive until a collection."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from app.core.db import Database
from app.crud import HeldBalance, HeldCounter, HeldTier
from app.services.auth import IssuedKey
from tests.graphql.test_participant_connection import DEEP
from tests.graphql.test_participants import seed_state
from tests.helpers import graphql
from tests.rest.test_list_participants import seed


@contextmanager
def garbage() -> Iterator[list[Any]]:
    """The objects that only the garbage collector would have freed while the block ran."""
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    found: list[Any] = []
    try:
        yield found
        gc.collect()
        found.extend(gc.garbage)
    finally:
        gc.garbage.clear()
        gc.set_debug(0)
        gc.enable()


async def test_a_pages_rows_are_freed_when_the_request_ends(
    client: httpx.AsyncClient, headers: dict[str, str], org: IssuedKey, db: Database
) -> None:
    rows = await seed(db, org, count=3)
    for row in rows:
        await seed_state(db, org.organization_id, row.id)
    with garbage() as left:
        body = await graphql(client, DEEP, {"first": 3}, headers=headers)
    assert len(body["data"]["participants"]["edges"]) == 3
    held = [o for o in left if isinstance(o, HeldBalance | HeldCounter | HeldTier)]
    assert held == []
