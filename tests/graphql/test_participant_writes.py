"""Participant mutations and `Participant.stateHistory` (issue 7): the same stored state and
history as REST, userErrors for every refusal, batching, concurrency."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

from app.core.db import Database
from app.services.auth import IssuedKey, issue_key
from tests.conftest import Clock
from tests.graphql.test_programs import run
from tests.helpers import graphql
from tests.rest.test_participant_state import enrolled
from tests.rest.test_participant_writes import history, new_participant

Headers = dict[str, str]

RESULT = """participant { id externalId email firstName tags attributes status
  counters { key value resetAfter } tiers { key level rank levelDisplayName } }
  changed userErrors { field code message }"""


def mutation(name: str) -> str:
    input_type = name[0].upper() + name[1:] + "Input"
    if name in ("addParticipantTag", "removeParticipantTag"):
        input_type = "ParticipantTagInput"
    if name in ("removeParticipantAttribute", "removeParticipantCounter"):
        input_type = "ParticipantKeyInput"
    return f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {RESULT} }} }}"


async def call(
    client: httpx.AsyncClient, headers: Headers, name: str, **input_: Any
) -> dict[str, Any]:
    data = await run(client, headers, mutation(name), input=input_)
    payload: dict[str, Any] = data[name]
    return payload


def stored(history_rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """History rows without what differs between two participants (ids, times)."""
    return [
        (r["state_type"], r["key"], r["operation"], r["old_value"], r["new_value"])
        for r in history_rows
    ]


async def test_graphql_and_rest_store_the_same(client: httpx.AsyncClient, headers: Headers) -> None:
    program_id, by_graphql = await enrolled(client, headers)
    rest_participant = await new_participant(client, headers, program_id=program_id)
    by_rest = rest_participant["id"]

    await call(
        client,
        headers,
        "updateParticipant",
        id=by_graphql,
        firstName="Ada",
        attributes={"a": "1"},
        tags=["X"],
    )
    await call(client, headers, "addParticipantTag", id=by_graphql, tag="VIP")
    await call(client, headers, "removeParticipantTag", id=by_graphql, tag="x")
    await call(client, headers, "setParticipantAttributes", id=by_graphql, attributes={"b": "2"})
    await call(client, headers, "removeParticipantAttribute", id=by_graphql, key="a")
    await call(
        client,
        headers,
        "setParticipantCounter",
        id=by_graphql,
        key="visits",
        value="3",
        resetAfter="24h",
    )
    await call(client, headers, "setParticipantCounter", id=by_graphql, key="gone", value="1")
    await call(client, headers, "removeParticipantCounter", id=by_graphql, key="gone")
    await call(
        client,
        headers,
        "setParticipantTier",
        id=by_graphql,
        programId=program_id,
        key="status",
        level="gold",
    )
    await call(client, headers, "setParticipantStatus", id=by_graphql, status="SUSPENDED")

    base = f"/v1/participants/{by_rest}"
    await client.patch(
        base, json={"first_name": "Ada", "attributes": {"a": "1"}, "tags": ["X"]}, headers=headers
    )
    await client.put(f"{base}/state/tags/VIP", headers=headers)
    await client.delete(f"{base}/state/tags/x", headers=headers)
    await client.patch(f"{base}/state/attributes", json={"attributes": {"b": "2"}}, headers=headers)
    await client.delete(f"{base}/state/attributes/a", headers=headers)
    await client.put(
        f"{base}/state/counters/visits", json={"value": "3", "reset_after": "24h"}, headers=headers
    )
    await client.put(f"{base}/state/counters/gone", json={"value": "1"}, headers=headers)
    await client.delete(f"{base}/state/counters/gone", headers=headers)
    await client.put(
        f"{base}/state/tiers/status",
        params={"program_id": program_id},
        json={"level": "gold"},
        headers=headers,
    )
    await client.patch(f"{base}/status", json={"status": "SUSPENDED"}, headers=headers)

    one = (await client.get(f"/v1/participants/{by_graphql}", headers=headers)).json()
    two = (await client.get(base, headers=headers)).json()
    different = {"id", "external_id", "created_at", "updated_at"}
    assert {k: v for k, v in one.items() if k not in different} == {
        k: v for k, v in two.items() if k not in different
    }
    assert one["tags"] == ["vip"]
    assert one["attributes"] == {"b": "2"}
    assert stored(await history(client, headers, by_graphql)) == stored(
        await history(client, headers, by_rest)
    )


async def test_payloads_and_refusals(
    client: httpx.AsyncClient, headers: Headers, db: Database
) -> None:
    program_id, pid = await enrolled(client, headers)
    added = await call(client, headers, "addParticipantTag", id=pid, tag="Gold")
    assert (added["changed"], added["participant"]["tags"]) == (True, ["gold"])
    again = await call(client, headers, "addParticipantTag", id=pid, tag="gold")
    assert again["changed"] is False
    absent = await call(client, headers, "removeParticipantAttribute", id=pid, key="nope")
    assert (absent["changed"], absent["userErrors"]) == (False, [])
    counter = await call(client, headers, "setParticipantCounter", id=pid, key="c", value="-2.50")
    assert counter["participant"]["counters"] == [
        {"key": "c", "value": "-2.50", "resetAfter": None}
    ]
    tier = await call(
        client,
        headers,
        "setParticipantTier",
        id=pid,
        programId=program_id,
        key="status",
        level="silver",
    )
    assert tier["participant"]["tiers"] == [
        {"key": "status", "level": "silver", "rank": 1, "levelDisplayName": "Silver"}
    ]

    def problem(payload: dict[str, Any]) -> tuple[list[str], str]:
        assert payload["participant"] is None, payload
        first = payload["userErrors"][0]
        return first["field"], first["code"]

    missing = str(uuid.uuid4())
    assert problem(await call(client, headers, "addParticipantTag", id=missing, tag="x")) == (
        ["input", "id"],
        "not_found",
    )
    other = {"X-API-Key": (await issue_key(db, organization_name=f"o-{uuid.uuid4().hex}")).key}
    theirs = await new_participant(client, other)
    foreign = await call(client, headers, "updateParticipant", id=theirs["id"], firstName="x")
    assert problem(foreign) == (["input", "id"], "not_found")
    taken = await new_participant(client, headers)
    clash = await call(
        client, headers, "updateParticipant", id=pid, externalId=taken["external_id"]
    )
    assert problem(clash) == (["input", "externalId"], "conflict")
    bad = await call(
        client, headers, "setParticipantCounter", id=pid, key="c", value="1", resetAfter="30d"
    )
    assert problem(bad) == (["input", "resetAfter"], "invalid")
    huge = await graphql(
        client,
        mutation("setParticipantCounter"),
        {"input": {"id": pid, "key": "c", "value": "1e999999999"}},
        headers=headers,
    )
    assert "errors" in huge or huge["data"]["setParticipantCounter"]["userErrors"]
    level = await call(
        client,
        headers,
        "setParticipantTier",
        id=pid,
        programId=program_id,
        key="status",
        level="bronze",
    )
    assert problem(level) == (["input", "level"], "not_found")
    no_tier = await call(
        client, headers, "setParticipantTier", id=pid, programId=program_id, key="other", level="x"
    )
    assert problem(no_tier) == (["input", "key"], "not_found")
    no_program = await call(
        client, headers, "removeParticipantTier", id=pid, programId=missing, key="status"
    )
    assert problem(no_program) == (["input", "programId"], "not_found")
    await call(client, headers, "setParticipantStatus", id=pid, status="CLOSED")
    closed = await call(
        client,
        headers,
        "setParticipantTier",
        id=pid,
        programId=program_id,
        key="status",
        level="gold",
    )
    assert problem(closed)[1] == "participant_inactive"
    naive = await call(
        client,
        headers,
        "setParticipantTier",
        id=pid,
        programId=program_id,
        key="status",
        level="gold",
        expiresAt="2099-01-01T00:00:00",
    )
    assert problem(naive) == (["input", "expiresAt"], "invalid")


async def test_counters_read_as_of_the_request(
    client: httpx.AsyncClient, headers: Headers, clock: Clock
) -> None:
    p = await new_participant(client, headers)
    await call(
        client, headers, "setParticipantCounter", id=p["id"], key="k", value="5", resetAfter="1h"
    )
    query = "query($id: UUID!) { participant(id: $id) { counters { key value } } }"
    assert (await run(client, headers, query, id=p["id"]))["participant"]["counters"] == [
        {"key": "k", "value": "5"}
    ]
    clock.advance(hours=1)
    assert (await run(client, headers, query, id=p["id"]))["participant"]["counters"] == [
        {"key": "k", "value": "0"}
    ]


HISTORY = """query($first: Int!, $n: Int!, $after: String, $filter: StateHistoryFilter) {
  participants(first: $first) { edges { node { externalId
    stateHistory(first: $n, after: $after, filter: $filter) {
      edges { cursor node {
        stateType key operation oldValue newValue changedAt changedByApiKeyId
      } }
      pageInfo { hasNextPage endCursor }
    } } } } }"""


async def test_state_history_connection_is_batched(
    client: httpx.AsyncClient, headers: Headers, org: IssuedKey, sql: Any
) -> None:
    for i in range(4):
        p = await new_participant(client, headers)
        for tag in ("a", "b", "c"):
            await client.put(f"/v1/participants/{p['id']}/state/tags/{tag}{i}", headers=headers)
    for size in (1, 4):
        with sql() as log:
            data = await run(client, headers, HISTORY, first=size, n=2)
        edges = data["participants"]["edges"]
        assert len(edges) == size
        for edge in edges:
            changes = edge["node"]["stateHistory"]
            assert len(changes["edges"]) == 2
            assert changes["pageInfo"]["hasNextPage"]
            assert changes["edges"][0]["node"]["changedByApiKeyId"] == str(org.api_key_id)
        assert log.count == 3, log.statements  # the key, the page, the histories
    one = data["participants"]["edges"][0]["node"]
    after = one["stateHistory"]["pageInfo"]["endCursor"]
    rest = await run(client, headers, HISTORY, first=1, n=5, after=after)
    keys = [
        e["node"]["key"] for e in rest["participants"]["edges"][0]["node"]["stateHistory"]["edges"]
    ]
    assert len(keys) == 1
    only = await run(client, headers, HISTORY, first=1, n=5, filter={"operation": "REMOVE"})
    assert only["participants"]["edges"][0]["node"]["stateHistory"]["edges"] == []
    bad = await graphql(client, HISTORY, {"first": 1, "n": 101}, headers=headers)
    assert bad["errors"][0]["extensions"]["argument"] == ["first"]


async def test_concurrent_mutations_lose_nothing(
    client: httpx.AsyncClient, headers: Headers
) -> None:
    p = await new_participant(client, headers)
    await asyncio.gather(
        *(call(client, headers, "addParticipantTag", id=p["id"], tag=f"t{i}") for i in range(10)),
        *(
            call(client, headers, "setParticipantAttributes", id=p["id"], attributes={f"k{i}": "v"})
            for i in range(10)
        ),
    )
    final = (await client.get(f"/v1/participants/{p['id']}", headers=headers)).json()
    assert sorted(final["tags"]) == sorted(f"t{i}" for i in range(10))
    assert final["attributes"] == {f"k{i}": "v" for i in range(10)}


async def test_set_tags_and_remove_tier(client: httpx.AsyncClient, headers: Headers) -> None:
    program_id, pid = await enrolled(client, headers)
    tags = await call(client, headers, "setParticipantTags", id=pid, tags=["B", "a", "b"])
    assert tags["participant"]["tags"] == ["b", "a"]
    where = {"id": pid, "programId": program_id, "key": "status"}
    await call(client, headers, "setParticipantTier", **where, level="gold")
    removed = await call(client, headers, "removeParticipantTier", **where)
    assert (removed["changed"], removed["participant"]["tiers"]) == (True, [])
    again = await call(client, headers, "removeParticipantTier", **where)
    assert (again["changed"], again["userErrors"]) == (False, [])
    counter = await call(client, headers, "removeParticipantCounter", id=pid, key="none")
    assert counter["changed"] is False
