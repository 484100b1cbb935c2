"""The ledger over GraphQL (issue 8): the mutations mirror REST, refusals are userErrors,
`journalEntries` and `Participant.activity` page, activity is batched; the books check out."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.core.db import Database
from app.services.auth import IssuedKey
from app.services.ledger import verify_ledger
from tests.graphql.test_programs import run
from tests.helpers import graphql
from tests.rest.test_ledger import Books, balance_of, make_books, operate
from tests.rest.test_participant_writes import new_participant

Headers = dict[str, str]


@pytest.fixture
async def books(client: httpx.AsyncClient, headers: Headers) -> Books:
    return await make_books(client, headers)


@pytest.fixture(autouse=True)
async def books_balance(db: Database, org: IssuedKey) -> AsyncIterator[None]:
    yield
    assert await verify_ledger(db, organization_id=org.organization_id) == []


RESULT = """journalEntryId amount balance { available deferred held } replayed
  userErrors { field code message }"""


def mutation(name: str, input_type: str) -> str:
    return f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {RESULT} }} }}"


ADJUST = mutation("adjustBalance", "AdjustBalanceInput")
HOLD = mutation("holdBalance", "MoveBalanceInput")
FORFEIT = mutation("forfeitBalance", "MoveBalanceInput")
FUND = """mutation($input: ProgramWalletInput!) { fundProgram(input: $input) {
  journalEntryId available message replayed userErrors { field code } } }"""


def adjust_input(books: Books, **extra: Any) -> dict[str, Any]:
    return {
        "participantId": books.participant,
        "programId": books.program,
        "assetId": books.points,
        "type": "CREDIT",
        "amount": "25.50",
        "description": "welcome",
        **extra,
    }


async def test_mutations_mirror_rest(
    client: httpx.AsyncClient, headers: Headers, books: Books
) -> None:
    credited = (await run(client, headers, ADJUST, input=adjust_input(books, idempotencyKey="k1")))[
        "adjustBalance"
    ]
    assert credited["userErrors"] == []
    assert credited["balance"] == {"available": "25.50", "deferred": "0.00", "held": "0.00"}
    replay = (await run(client, headers, ADJUST, input=adjust_input(books, idempotencyKey="k1")))[
        "adjustBalance"
    ]
    assert replay["replayed"] is True
    assert replay["journalEntryId"] == credited["journalEntryId"]
    clash = (
        await run(
            client, headers, ADJUST, input=adjust_input(books, idempotencyKey="k1", amount="1")
        )
    )["adjustBalance"]
    assert clash["userErrors"][0]["code"] == "idempotency_conflict"
    moves = {
        "participantId": books.participant,
        "programId": books.program,
        "assetId": books.points,
        "description": "x",
    }
    held = (await run(client, headers, HOLD, input={**moves, "amount": "5"}))["holdBalance"]
    assert held["balance"]["held"] == "5.00"
    no_bucket = (await run(client, headers, FORFEIT, input=moves))["forfeitBalance"]
    assert no_bucket["userErrors"][0]["field"] == ["input", "bucket"]
    forfeited = (await run(client, headers, FORFEIT, input={**moves, "bucket": "HELD"}))[
        "forfeitBalance"
    ]
    assert forfeited["amount"] == "5.00"
    rest = await balance_of(client, headers, books, books.points)
    assert (rest["available"], rest["held"]) == ("20.50", "0.00")
    query = """query($id: UUID!) {
      participant(id: $id) { balances { available held asset { symbol } } } }"""
    read = await run(client, headers, query, id=books.participant)
    assert read["participant"]["balances"][0]["available"] == "20.50"


async def test_refusals_are_user_errors(
    client: httpx.AsyncClient, headers: Headers, books: Books
) -> None:
    cases = [
        (adjust_input(books, amount="1.234"), ["input", "amount"], "invalid_scale"),
        (adjust_input(books, amount="5000"), ["input", "amount"], "amount_exceeds_limit"),
        (adjust_input(books, type="DEBIT"), ["input", "amount"], "insufficient_balance"),
        (adjust_input(books, amount="1e999999999"), ["input", "amount"], "invalid"),
        (adjust_input(books, assetId=str(uuid.uuid4())), ["input", "assetId"], "not_found"),
        (
            adjust_input(books, participantId=str(uuid.uuid4())),
            ["input", "participantId"],
            "not_found",
        ),
        (adjust_input(books, description=""), ["input", "description"], "too_short"),
    ]
    for given, field, code in cases:
        payload = (await run(client, headers, ADJUST, input=given))["adjustBalance"]
        assert payload["journalEntryId"] is None
        assert (payload["userErrors"][0]["field"], payload["userErrors"][0]["code"]) == (
            field,
            code,
        ), given
    await client.patch(
        f"/v1/participants/{books.participant}/status",
        json={"status": "SUSPENDED"},
        headers=headers,
    )
    inactive = (await run(client, headers, ADJUST, input=adjust_input(books)))["adjustBalance"]
    assert inactive["userErrors"][0]["code"] == "participant_inactive"


async def test_program_wallets(client: httpx.AsyncClient, headers: Headers, books: Books) -> None:
    funded = (
        await run(
            client,
            headers,
            FUND,
            input={"programId": books.program, "assetId": books.stock, "amount": "10"},
        )
    )["fundProgram"]
    assert (funded["available"], funded["userErrors"]) == ("10", [])
    unlimited = (
        await run(
            client,
            headers,
            FUND,
            input={"programId": books.program, "assetId": books.points, "amount": "10"},
        )
    )["fundProgram"]
    assert unlimited["journalEntryId"] is None
    missing = (
        await run(
            client,
            headers,
            FUND,
            input={"programId": books.program, "assetId": str(uuid.uuid4()), "amount": "1"},
        )
    )["fundProgram"]
    assert missing["userErrors"][0]["code"] == "not_found"


ENTRIES = """query($first: Int!, $after: String, $filter: JournalEntryFilter) {
  journalEntries(first: $first, after: $after, filter: $filter) {
    edges { cursor node { sequence actionType entryHash previousHash
      postings { entityType entityId systemAccount bucket amount } } }
    pageInfo { hasNextPage endCursor } } }"""


async def test_journal_entries(client: httpx.AsyncClient, headers: Headers, books: Books) -> None:
    for amount in ("1", "2", "3"):
        await operate(client, headers, books, "adjust", type="CREDIT", amount=amount)
    first = (await run(client, headers, ENTRIES, first=2))["journalEntries"]
    assert [e["node"]["sequence"] for e in first["edges"]] == [3, 2]
    assert first["edges"][0]["node"]["previousHash"] == first["edges"][1]["node"]["entryHash"]
    rest = (await run(client, headers, ENTRIES, first=2, after=first["pageInfo"]["endCursor"]))[
        "journalEntries"
    ]
    assert [e["node"]["sequence"] for e in rest["edges"]] == [1]
    postings = first["edges"][0]["node"]["postings"]
    assert sorted(p["amount"] for p in postings) == ["-3.00", "3.00"]
    bad = await graphql(client, ENTRIES, {"first": 0}, headers=headers)
    assert bad["errors"][0]["extensions"]["argument"] == ["first"]


ACTIVITY = """query($first: Int!, $n: Int!) { participants(first: $first) { edges { node {
  activity(first: $n) { edges { node { actionType amount bucket } } pageInfo { hasNextPage } }
} } } }"""


async def test_activity_is_batched(
    client: httpx.AsyncClient, headers: Headers, books: Books, sql: Any
) -> None:
    others = [await new_participant(client, headers, program_id=books.program) for _ in range(3)]
    for pid in [books.participant, *[o["id"] for o in others]]:
        for amount in ("1", "2"):
            await client.post(
                f"/v1/participants/{pid}/balances/adjust",
                json={
                    "program_id": books.program,
                    "asset_id": books.points,
                    "type": "CREDIT",
                    "amount": amount,
                    "description": "x",
                },
                headers=headers,
            )
    counts = []
    for size in (1, 4):
        with sql() as log:
            data = await run(client, headers, ACTIVITY, first=size, n=1)
        edges = data["participants"]["edges"]
        assert len(edges) == size
        for edge in edges:
            activity = edge["node"]["activity"]
            assert activity["edges"] == [
                {"node": {"actionType": "CREDIT", "amount": "2.00", "bucket": "AVAILABLE"}}
            ]
            assert activity["pageInfo"]["hasNextPage"] is True
        counts.append(log.count)
    assert counts[0] == counts[1] == 3, counts  # the key, the page, the activity
