"""Concurrent creates of one external_id: one row, no 500, no "database is locked" (CONTRACT §3)."""

from __future__ import annotations

import asyncio

import httpx
from sqlmodel import col, select

from app.core.db import Database
from app.models import Enrollment, Participant, Program
from app.services.auth import IssuedKey
from tests.helpers import count_rows, graphql

CREATE = """mutation($input: CreateParticipantInput!) {
  createParticipant(input: $input) { created userErrors { code } participant { id } } }"""


async def test_fifty_concurrent_creates_make_one_participant(
    client: httpx.AsyncClient, headers: dict[str, str], org: IssuedKey, db: Database
) -> None:
    async with db.transaction() as session:
        program = Program(organization_id=org.organization_id, name="Race")
        session.add(program)

    async def rest(i: int) -> httpx.Response:
        return await client.post(
            "/v1/participants",
            json={"external_id": "racer", "tags": [f"t{i}"], "program_id": str(program.id)},
            headers=headers,
        )

    async def via_graphql(i: int) -> dict[str, object]:
        variables = {"input": {"externalId": "racer", "attributes": {f"k{i}": "v"}}}
        body = await graphql(client, CREATE, variables, headers=headers)
        result: dict[str, object] = body["data"]["createParticipant"]
        return result

    results = await asyncio.gather(
        *(rest(i) for i in range(25)), *(via_graphql(i) for i in range(25))
    )
    responses = [r for r in results if isinstance(r, httpx.Response)]
    payloads = [r for r in results if isinstance(r, dict)]
    assert sorted({r.status_code for r in responses}) in ([200], [200, 201], [201])
    created = [r for r in responses if r.status_code == 201] + [p for p in payloads if p["created"]]
    assert len(created) == 1
    assert all(p["userErrors"] == [] for p in payloads)
    ids = {r.json()["id"] for r in responses} | {p["participant"]["id"] for p in payloads}
    assert len(ids) == 1

    rows = await count_rows(db, Participant, org.organization_id)
    enrollments = await count_rows(db, Enrollment, org.organization_id)
    async with db.read() as session:
        stored = await session.scalar(
            select(Participant).where(col(Participant.organization_id) == org.organization_id)
        )
    assert rows == 1
    assert enrollments == 1
    assert stored is not None
    assert len(stored.attributes) == 25  # every merge landed: no lost update
