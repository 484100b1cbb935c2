"""createParticipant and Query.participant (CONTRACT §4)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from app.core.db import Database
from app.models import Asset, Balance, Counter, Enrollment, ParticipantTier, Program
from app.services.auth import IssuedKey
from tests.helpers import graphql

CREATE = """
mutation Create($input: CreateParticipantInput!) {
  createParticipant(input: $input) {
    created
    userErrors { field code message }
    participant {
      id externalId status email phone firstName lastName displayName
      attributes tags programIds createdAt updatedAt
    }
  }
}
"""

LAZY = """
query One($id: UUID, $externalId: String) {
  participant(id: $id, externalId: $externalId) {
    id externalId
    programIds
    programs { id name status onUnknownParticipant }
    balances { assetId available deferred held asset { id name symbol scale } }
    counters { key value resetAfter lastResetAt }
    tiers { key level rank programId }
  }
}
"""


async def create(
    client: httpx.AsyncClient, headers: dict[str, str], **input_: Any
) -> dict[str, Any]:
    body = await graphql(client, CREATE, {"input": input_}, headers=headers)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["createParticipant"]
    return result


async def test_create_round_trips_every_field(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    result = await create(
        client,
        headers,
        externalId="g-1",
        status="CLOSED",
        email="ann@example.org",
        phone="+441234",
        firstName="Ann",
        lastName="Lee",
        displayName="Ann L",
        attributes={"plan": "basic"},
        tags=["A", "b", "a"],
    )
    assert result["created"] is True
    assert result["userErrors"] == []
    p = result["participant"]
    assert p["externalId"] == "g-1"
    assert p["status"] == "CLOSED"
    assert (p["email"], p["phone"], p["firstName"], p["lastName"], p["displayName"]) == (
        "ann@example.org",
        "+441234",
        "Ann",
        "Lee",
        "Ann L",
    )
    assert p["attributes"] == {"plan": "basic"}
    assert p["tags"] == ["a", "b"]
    assert p["programIds"] == []
    assert p["createdAt"] == p["updatedAt"]
    assert p["createdAt"].endswith("Z")


async def test_upsert_via_graphql(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    first = await create(client, headers, externalId="g-2", status="SUSPENDED", tags=["x"])
    second = await create(
        client, headers, externalId="g-2", attributes={"k": "v"}, tags=["Y"], email=None
    )
    assert second["created"] is False
    assert second["participant"]["id"] == first["participant"]["id"]
    assert second["participant"]["status"] == "SUSPENDED"
    assert second["participant"]["tags"] == ["y"]
    assert second["participant"]["createdAt"] == first["participant"]["createdAt"]
    assert second["participant"]["updatedAt"] > first["participant"]["updatedAt"]


async def test_rest_and_graphql_agree(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    rest = await client.post(
        "/v1/participants",
        json={"external_id": "both", "tags": ["T"], "attributes": {"a": "1"}},
        headers=headers,
    )
    via_graphql = await create(client, headers, externalId="both", attributes={"b": "2"})
    assert via_graphql["created"] is False
    assert via_graphql["participant"]["id"] == rest.json()["id"]
    assert via_graphql["participant"]["attributes"] == {"a": "1", "b": "2"}


@pytest.mark.parametrize(
    ("input_", "field", "code"),
    [
        ({"externalId": ""}, ["input", "externalId"], "too_short"),
        ({"externalId": "x" * 256}, ["input", "externalId"], "too_long"),
        ({"externalId": "x", "email": "nope"}, ["input", "email"], "invalid"),
        ({"externalId": "x", "displayName": "d" * 256}, ["input", "displayName"], "too_long"),
        ({"externalId": "x", "attributes": "flat"}, ["input", "attributes"], "invalid"),
        ({"externalId": "x", "attributes": {"k": 5}}, ["input", "attributes", "k"], "invalid"),
        ({"externalId": "x", "tags": ["ok", ""]}, ["input", "tags", "1"], "too_short"),
        (
            {"externalId": "x", "programId": "00000000-0000-0000-0000-000000000001"},
            ["input", "programId"],
            "not_found",
        ),
    ],
)
async def test_user_errors(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    input_: dict[str, Any],
    field: list[str],
    code: str,
) -> None:
    result = await create(client, headers, **input_)
    assert result["participant"] is None
    assert result["created"] is False
    assert [e["field"] for e in result["userErrors"]] == [field]
    assert result["userErrors"][0]["code"] == code
    lookup = await graphql(client, 'query { participant(externalId: "x") { id } }', headers=headers)
    assert lookup["data"]["participant"] is None


@pytest.mark.parametrize(
    "input_",
    [
        {"externalId": "x", "status": "ACTIVATED"},
        {"externalId": "x", "programId": "not-a-uuid"},
        {"externalId": 12},
        {"status": "ACTIVE"},
    ],
)
async def test_type_errors_are_graphql_errors(
    client: httpx.AsyncClient, headers: dict[str, str], input_: dict[str, Any]
) -> None:
    body = await graphql(client, CREATE, {"input": input_}, headers=headers)
    assert body.get("data") is None
    assert body["errors"][0]["message"] != "Unexpected error."


async def test_participant_by_id_and_external_id(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    created = (await create(client, headers, externalId="find-me"))["participant"]
    by_id = await graphql(client, LAZY, {"id": created["id"]}, headers=headers)
    by_external = await graphql(client, LAZY, {"externalId": "find-me"}, headers=headers)
    assert by_id["data"]["participant"]["externalId"] == "find-me"
    assert by_external["data"]["participant"]["id"] == created["id"]
    missing = await graphql(client, LAZY, {"id": str(uuid.uuid4())}, headers=headers)
    assert missing == {"data": {"participant": None}}


@pytest.mark.parametrize("variables", [{}, {"id": str(uuid.uuid4()), "externalId": "x"}])
async def test_participant_needs_exactly_one_argument(
    client: httpx.AsyncClient, headers: dict[str, str], variables: dict[str, Any]
) -> None:
    body = await graphql(client, LAZY, variables, headers=headers)
    assert body["data"]["participant"] is None
    assert body["errors"][0]["message"] == "Pass exactly one of id or externalId."
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def seed_state(db: Database, organization_id: uuid.UUID, participant_id: uuid.UUID) -> None:
    """Rows that later issues fill through their own endpoints, written directly here."""
    async with db.transaction() as session:
        program = Program(organization_id=organization_id, name="Gold Club")
        # Symbols are unique per organization: one asset per seeded participant.
        symbol = f"PTS{participant_id.hex[:8].upper()}"
        asset = Asset(organization_id=organization_id, name="Points", symbol=symbol, scale=2)
        session.add_all([program, asset])
        await session.flush()
        session.add_all(
            [
                Enrollment(
                    participant_id=participant_id,
                    program_id=program.id,
                    organization_id=organization_id,
                ),
                Balance(
                    participant_id=participant_id,
                    asset_id=asset.id,
                    organization_id=organization_id,
                    available=Decimal("1500.00"),
                    deferred=Decimal("0.00"),
                    held=Decimal("12345678901234567890.123456789"),
                ),
                Counter(
                    participant_id=participant_id,
                    key="purchases",
                    organization_id=organization_id,
                    value=Decimal("42"),
                    reset_after="720h",
                ),
                ParticipantTier(
                    participant_id=participant_id,
                    program_id=program.id,
                    tier_key="loyalty",
                    organization_id=organization_id,
                    level="gold",
                    rank=2,
                ),
            ]
        )


async def test_lazy_fields_return_state(
    client: httpx.AsyncClient, headers: dict[str, str], org: IssuedKey, db: Database
) -> None:
    created = (await create(client, headers, externalId="stateful"))["participant"]
    await seed_state(db, org.organization_id, uuid.UUID(created["id"]))
    p = (await graphql(client, LAZY, {"externalId": "stateful"}, headers=headers))["data"][
        "participant"
    ]
    assert p["programs"][0]["name"] == "Gold Club"
    assert p["programIds"] == [p["programs"][0]["id"]]
    assert p["balances"] == [
        {
            "assetId": p["balances"][0]["asset"]["id"],
            "available": "1500.00",
            "deferred": "0.00",
            "held": "12345678901234567890.123456789",
            "asset": {
                "id": p["balances"][0]["asset"]["id"],
                "name": "Points",
                "symbol": f"PTS{uuid.UUID(created['id']).hex[:8].upper()}",
                "scale": 2,
            },
        }
    ]
    assert p["counters"] == [
        {"key": "purchases", "value": "42", "resetAfter": "720h", "lastResetAt": None}
    ]
    assert p["tiers"] == [
        {"key": "loyalty", "level": "gold", "rank": 2, "programId": p["programIds"][0]}
    ]
    rest = await client.post("/v1/participants", json={"external_id": "stateful"}, headers=headers)
    body = rest.json()
    assert body["balances"][0]["held"] == "12345678901234567890.123456789"
    assert body["counters"] == {"purchases": "42"}
    assert body["tiers"] == {"loyalty": {"level": "gold", "rank": 2}}
    assert body["program_ids"] == p["programIds"]


async def test_lazy_fields_cost_nothing_unless_selected(
    client: httpx.AsyncClient, headers: dict[str, str], org: IssuedKey, db: Database, sql: Any
) -> None:
    created = (await create(client, headers, externalId="counted"))["participant"]
    await seed_state(db, org.organization_id, uuid.UUID(created["id"]))
    plain = 'query { participant(externalId: "counted") { id externalId tags attributes } }'
    with sql() as log:
        await graphql(client, plain, headers=headers)
    assert log.count == 2, log.statements  # the API key, the participant
    with sql() as log:
        await graphql(client, LAZY, {"externalId": "counted"}, headers=headers)
    # key, participant, programs (also programIds), balances, assets, counters, tiers
    assert log.count == 7, log.statements


@pytest.mark.parametrize("n", [1, 5, 20])
async def test_lazy_fields_are_batched_across_participants(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    org: IssuedKey,
    db: Database,
    sql: Any,
    n: int,
) -> None:
    ids = []
    for i in range(n):
        p = (await create(client, headers, externalId=f"batch-{n}-{i}"))["participant"]
        await seed_state(db, org.organization_id, uuid.UUID(p["id"]))
        ids.append(p["id"])
    selection = LAZY[LAZY.index("{\n    id externalId") : LAZY.rindex("}")]
    query = (
        "query {"
        + "".join(f' p{i}: participant(id: "{pid}") {selection}' for i, pid in enumerate(ids))
        + "}"
    )
    with sql() as log:
        body = await graphql(client, query, headers=headers)
    assert "errors" not in body
    assert all(len(body["data"][f"p{i}"]["balances"]) == 1 for i in range(n))
    assert log.count == 7, log.statements


async def test_new_participant_state_costs_no_query(
    client: httpx.AsyncClient, headers: dict[str, str], sql: Any
) -> None:
    mutation = """
    mutation { createParticipant(input: {externalId: "fresh"}) {
      participant { programIds programs { id } balances { held } counters { key } tiers { key } }
    } }"""
    with sql() as log:
        body = await graphql(client, mutation, headers=headers)
    assert body["data"]["createParticipant"]["participant"]["balances"] == []
    assert log.count == 2, log.statements  # the API key, the upsert


async def test_unexpected_errors_are_masked(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    db: Database,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A resolver failure the caller did not cause: masked for the client, logged with traceback."""
    await create(client, headers, externalId="broken")
    engine = db.engine.sync_engine

    def fail(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "FROM counters" in statement:
            raise RuntimeError("disk on fire")

    event.listen(engine, "before_cursor_execute", fail)
    try:
        body = await graphql(
            client,
            'query { participant(externalId: "broken") { id counters { key } } }',
            headers=headers,
        )
    finally:
        event.remove(engine, "before_cursor_execute", fail)
    assert body["errors"][0]["message"] == "Unexpected error."
    assert "disk on fire" not in str(body)
    logged = [r for r in caplog.records if r.name == "app.graphql" and r.exc_info]
    assert logged
    assert isinstance(logged[0].exc_info[1], RuntimeError)  # type: ignore[index]


async def test_participant_of_another_organization_is_invisible(
    client: httpx.AsyncClient, headers: dict[str, str], db: Database
) -> None:
    from app.services.auth import issue_key

    other = await issue_key(db, organization_name=f"other-{uuid.uuid4().hex}")
    theirs = (await create(client, {"X-API-Key": other.key}, externalId="secret"))["participant"]
    by_id = await graphql(client, LAZY, {"id": theirs["id"]}, headers=headers)
    by_external = await graphql(client, LAZY, {"externalId": "secret"}, headers=headers)
    unknown = await graphql(client, LAZY, {"id": str(uuid.uuid4())}, headers=headers)
    assert by_id == by_external == unknown == {"data": {"participant": None}}


async def test_graphiql_needs_no_key(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_cached_document_with_new_variables(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    for i in range(3):
        result = await create(client, headers, externalId=f"cache-{i}")
        assert result["participant"]["externalId"] == f"cache-{i}"
    invalid = await graphql(client, "{ participant(id: 1) { nope } }", headers=headers)
    again = await graphql(client, "{ participant(id: 1) { nope } }", headers=headers)
    assert invalid["errors"] == again["errors"]
