"""Defects found in review, each pinned by a test (both databases)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from app.core.db import Database
from app.core.formats import format_timestamp
from app.models import Program
from app.services.auth import IssuedKey
from tests.helpers import graphql


@pytest.mark.parametrize("body", [b"null", b"5", b'"x"', b"true"])
async def test_graphql_body_that_is_not_an_object_is_400(
    client: httpx.AsyncClient, headers: dict[str, str], body: bytes
) -> None:
    response = await client.post(
        "/graphql", content=body, headers={**headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 400


async def test_second_mutation_in_one_request_sees_the_first(
    client: httpx.AsyncClient, headers: dict[str, str], org: IssuedKey, db: Database
) -> None:
    async with db.transaction() as session:
        first = Program(organization_id=org.organization_id, name="One")
        second = Program(organization_id=org.organization_id, name="Two")
        session.add_all([first, second])
    query = f"""mutation {{
      a: createParticipant(input: {{externalId: "m", programId: "{first.id}"}}) {{
        participant {{ programIds }} }}
      b: createParticipant(input: {{externalId: "m", programId: "{second.id}"}}) {{
        participant {{ programIds }} }}
    }}"""
    body = await graphql(client, query, headers=headers)
    assert body["data"]["a"]["participant"]["programIds"] == [str(first.id)]
    assert body["data"]["b"]["participant"]["programIds"] == [str(first.id), str(second.id)]


async def test_tag_too_long_once_lower_cased(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.post(
        "/v1/participants", json={"external_id": "t", "tags": ["İ" * 255]}, headers=headers
    )
    assert response.status_code == 400
    problem = response.json()["details"]["fields"][0]
    assert (problem["field"], problem["reason"]) == ("tags", "too_long")


async def test_nul_in_lookups_is_a_clear_answer(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    for params in ({"external_id": "a\x00"}, {"search": "a\x00"}):
        response = await client.get("/v1/participants", params=params, headers=headers)
        assert response.status_code == 400
    body = await graphql(
        client, 'query { participant(externalId: "a\\u0000") { id } }', headers=headers
    )
    assert body == {"data": {"participant": None}}


async def test_out_of_range_dates_are_400(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get(
        "/v1/participants", params={"to": "9999-12-31T23:59:59.999999-01:00"}, headers=headers
    )
    assert response.status_code == 400
    assert response.json()["details"]["fields"][0]["field"] == "to"


def test_timestamps_always_carry_microseconds() -> None:
    assert format_timestamp(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01T00:00:00.000000Z"
