"""The ledger over REST (issue 8): adjust, hold, release, forfeit, fund, burn; every refusal;
idempotency; a hundred concurrent debits; journal entries; and after every test, the chain check."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from app.core.db import Database
from app.models import Balance, JournalEntry, Posting
from app.services.auth import IssuedKey, issue_key
from app.services.ledger import verify_ledger
from tests.rest.test_assets import new_asset, new_program
from tests.rest.test_participant_writes import new_participant

Headers = dict[str, str]


@pytest.fixture(autouse=True)
async def books_balance(db: Database, org: IssuedKey) -> AsyncIterator[None]:
    """Whatever a test wrote, the organization's books still check out afterwards."""
    yield
    assert await verify_ledger(db, organization_id=org.organization_id) == []


@dataclass
class Books:
    program: str
    points: str  # UNLIMITED, scale 2, at most 1000 per transaction
    stock: str  # PREFUNDED, scale 0
    participant: str


@pytest.fixture
async def books(client: httpx.AsyncClient, headers: Headers) -> Books:
    return await make_books(client, headers)


async def make_books(client: httpx.AsyncClient, headers: Headers) -> Books:
    """A program with two assets and a participant enrolled in it."""
    program = await new_program(client, headers)
    points = await new_asset(client, headers, program, scale=2, max_transaction_amount="1000")
    stock = await new_asset(client, headers, program, scale=0, issuance_policy="PREFUNDED")
    participant = await new_participant(client, headers, program_id=program)
    return Books(program, points["id"], stock["id"], participant["id"])


async def operate(
    client: httpx.AsyncClient, headers: Headers, books: Books, operation: str, **body: Any
) -> httpx.Response:
    fields = {"program_id": books.program, "asset_id": books.points, "description": "test", **body}
    return await client.post(
        f"/v1/participants/{books.participant}/balances/{operation}", json=fields, headers=headers
    )


async def balance_of(
    client: httpx.AsyncClient, headers: Headers, books: Books, asset: str
) -> dict[str, str]:
    response = await client.get(
        f"/v1/participants/{books.participant}/balances",
        params={"asset_id": asset},
        headers=headers,
    )
    data = response.json()["data"]
    found: dict[str, str] = data[0] if data else {}
    return found


async def test_credit_and_debit(client: httpx.AsyncClient, headers: Headers, books: Books) -> None:
    credited = await operate(client, headers, books, "adjust", type="CREDIT", amount="100.50")
    assert credited.status_code == 200, credited.text
    body = credited.json()
    assert body["balance"] == {"available": "100.50", "deferred": "0.00", "held": "0.00"}
    assert (body["type"], body["amount"], body["bucket"]) == ("CREDIT", "100.50", "AVAILABLE")
    assert body["message"] == "Balance adjusted successfully"
    debited = await operate(client, headers, books, "adjust", type="DEBIT", amount="0.5")
    assert debited.json()["balance"]["available"] == "100.00"
    held = await operate(client, headers, books, "adjust", type="CREDIT", amount="5", bucket="HELD")
    assert held.json()["balance"]["held"] == "5.00"
    detail = (await client.get(f"/v1/participants/{books.participant}", headers=headers)).json()
    assert detail["balances"] == [
        {"asset_id": books.points, "available": "100.00", "deferred": "0.00", "held": "5.00"}
    ]
    entry = (
        await client.get(f"/v1/journal-entries/{body['journal_entry_id']}", headers=headers)
    ).json()
    assert entry["action_type"] == "CREDIT"
    assert sorted(
        (p["entity_type"], p["system_account"], p["amount"]) for p in entry["postings"]
    ) == [
        ("PARTICIPANT", None, "100.50"),
        ("SYSTEM", "SYSTEM_ISSUANCE", "-100.50"),
    ]
    assert len(entry["entry_hash"]) == 64
    history = (
        await client.get(f"/v1/participants/{books.participant}/activity/history", headers=headers)
    ).json()
    assert [(i["action_type"], i["amount"], i["bucket"]) for i in history["data"]] == [
        ("CREDIT", "5.00", "HELD"),
        ("DEBIT", "-0.50", "AVAILABLE"),
        ("CREDIT", "100.50", "AVAILABLE"),
    ]


async def test_debits_need_the_money(
    client: httpx.AsyncClient, headers: Headers, books: Books
) -> None:
    await operate(client, headers, books, "adjust", type="CREDIT", amount="10")
    short = await operate(client, headers, books, "adjust", type="DEBIT", amount="10.01")
    assert (short.status_code, short.json()["code"]) == (422, "insufficient_balance")
    clawback = await operate(
        client, headers, books, "adjust", type="DEBIT", amount="15", allow_negative=True
    )
    assert clawback.json()["balance"]["available"] == "-5.00"
    misuse = await operate(
        client, headers, books, "adjust", type="CREDIT", amount="1", allow_negative=True
    )
    assert misuse.status_code == 400


async def test_hold_release_forfeit(
    client: httpx.AsyncClient, headers: Headers, books: Books
) -> None:
    await operate(client, headers, books, "adjust", type="CREDIT", amount="100")
    held = await operate(client, headers, books, "hold", amount="30")
    assert held.json()["balance"] == {"available": "70.00", "deferred": "0.00", "held": "30.00"}
    assert (held.json()["operation"], held.json()["amount_processed"]) == ("HOLD", "30.00")
    too_much = await operate(client, headers, books, "release", amount="31")
    assert too_much.status_code == 422
    released = await operate(client, headers, books, "release")  # the whole bucket
    assert released.json()["amount_processed"] == "30.00"
    assert released.json()["balance"]["held"] == "0.00"
    nothing = await operate(client, headers, books, "release")
    assert (nothing.status_code, nothing.json()["code"]) == (422, "insufficient_balance")
    no_bucket = await operate(client, headers, books, "forfeit", amount="1")
    assert no_bucket.status_code == 400
    await client.patch(
        f"/v1/participants/{books.participant}/status", json={"status": "CLOSED"}, headers=headers
    )
    frozen = await operate(client, headers, books, "hold", amount="1")
    assert (frozen.status_code, frozen.json()["code"]) == (409, "participant_inactive")
    forfeited = await operate(client, headers, books, "forfeit", bucket="AVAILABLE")
    assert forfeited.json()["amount_processed"] == "100.00"
    assert forfeited.json()["balance"]["available"] == "0.00"
    for operation in ("adjust", "hold"):
        body = {"type": "CREDIT", "amount": "1"} if operation == "adjust" else {"amount": "1"}
        refused = await operate(client, headers, books, operation, **body)
        assert refused.status_code == 409, operation
    nothing_held = await operate(client, headers, books, "release")  # allowed, but empty
    assert nothing_held.status_code == 422


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"amount": "1.234"}, 400, "invalid_scale", "amount"),
        ({"amount": "1000.01"}, 400, "amount_exceeds_limit", "amount"),
        ({"amount": "0"}, 400, "bad_request", "amount"),
        ({"amount": 5}, 400, "bad_request", "amount"),
        ({"amount": "-1"}, 400, "bad_request", "amount"),
        ({"description": ""}, 400, "bad_request", "description"),
        ({"description": "d" * 501}, 400, "bad_request", "description"),
        ({"type": "GIFT"}, 400, "bad_request", "type"),
        ({"bucket": "DEFERRED"}, 400, "bad_request", "bucket"),
        ({"program_id": str(uuid.uuid4())}, 400, "bad_request", "program_id"),
        ({"asset_id": str(uuid.uuid4())}, 400, "bad_request", "asset_id"),
        ({"idempotency_key": ""}, 400, "bad_request", "idempotency_key"),
        ({"extra": 1}, 400, "bad_request", "extra"),
    ],
)
async def test_refusals_write_nothing(
    client: httpx.AsyncClient,
    headers: Headers,
    books: Books,
    body: dict[str, Any],
    status: int,
    code: str,
    field: str,
) -> None:
    response = await operate(
        client, headers, books, "adjust", **{"type": "CREDIT", "amount": "1", **body}
    )
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert field in [f["field"] for f in response.json()["details"]["fields"]]
    assert (await client.get("/v1/journal-entries", headers=headers)).json()["data"] == []


async def test_assets_and_programs_must_be_usable(
    client: httpx.AsyncClient, headers: Headers, books: Books
) -> None:
    other_program = await new_program(client, headers)
    unlinked = await new_asset(client, headers, other_program)
    refused = await operate(
        client, headers, books, "adjust", type="CREDIT", amount="1", asset_id=unlinked["id"]
    )
    assert refused.status_code == 400
    assert refused.json()["details"]["fields"][0]["field"] == "asset_id"
    await client.patch(f"/v1/assets/{books.points}", json={"status": "ARCHIVED"}, headers=headers)
    archived = await operate(client, headers, books, "adjust", type="CREDIT", amount="1")
    assert (archived.status_code, archived.json()["code"]) == (409, "asset_archived")
    missing = await client.post(
        f"/v1/participants/{uuid.uuid4()}/balances/adjust",
        json={
            "program_id": books.program,
            "asset_id": books.stock,
            "type": "CREDIT",
            "amount": "1",
            "description": "x",
        },
        headers=headers,
    )
    assert missing.status_code == 404


async def test_prefunded_assets_draw_on_the_wallet(
    client: httpx.AsyncClient, headers: Headers, books: Books
) -> None:
    wallet = f"/v1/programs/{books.program}/assets/{books.stock}"
    short = await operate(
        client, headers, books, "adjust", type="CREDIT", amount="5", asset_id=books.stock
    )
    assert (short.status_code, short.json()["code"]) == (422, "insufficient_balance")
    funded = await client.post(
        f"{wallet}/fund", json={"amount": "100", "description": "float"}, headers=headers
    )
    assert funded.status_code == 200, funded.text
    assert funded.json()["available"] == "100"
    credited = await operate(
        client, headers, books, "adjust", type="CREDIT", amount="40", asset_id=books.stock
    )
    assert credited.status_code == 200
    burn_too_much = await client.post(f"{wallet}/burn", json={"amount": "61"}, headers=headers)
    assert burn_too_much.status_code == 422
    burned = await client.post(f"{wallet}/burn", json={"amount": "10"}, headers=headers)
    assert burned.json()["available"] == "50"
    listed = (await client.get(f"/v1/programs/{books.program}/balance", headers=headers)).json()[
        "data"
    ]
    assert listed == [
        {
            "asset_id": books.stock,
            "available": "50",
            "deferred": "0",
            "held": "0",
            "issuance_policy": "PREFUNDED",
        }
    ]
    unlimited = await client.post(
        f"/v1/programs/{books.program}/assets/{books.points}/fund",
        json={"amount": "1"},
        headers=headers,
    )
    assert (unlimited.status_code, unlimited.json()["journal_entry_id"]) == (200, None)
    scale = await client.post(f"{wallet}/fund", json={"amount": "1.5"}, headers=headers)
    assert scale.json()["code"] == "invalid_scale"
    unknown = await client.post(
        f"/v1/programs/{books.program}/assets/{uuid.uuid4()}/fund",
        json={"amount": "1"},
        headers=headers,
    )
    assert unknown.status_code == 404


async def test_idempotency(client: httpx.AsyncClient, headers: Headers, books: Books) -> None:
    first = await operate(
        client, headers, books, "adjust", type="CREDIT", amount="10.0", idempotency_key="order-1"
    )
    replay = await operate(
        client, headers, books, "adjust", type="CREDIT", amount="10", idempotency_key="order-1"
    )
    assert replay.status_code == 200
    assert replay.json() == first.json()  # trailing zeros are the same amount
    different = await operate(
        client, headers, books, "adjust", type="CREDIT", amount="11", idempotency_key="order-1"
    )
    assert (different.status_code, different.json()["code"]) == (409, "idempotency_conflict")
    other_program = await new_program(client, headers)
    await client.post(
        f"/v1/programs/{other_program}/assets", json={"asset_id": books.points}, headers=headers
    )
    elsewhere = await operate(
        client,
        headers,
        books,
        "adjust",
        type="CREDIT",
        amount="11",
        idempotency_key="order-1",
        program_id=other_program,
    )
    assert elsewhere.status_code == 200  # keys are scoped to their program
    assert (await balance_of(client, headers, books, books.points))["available"] == "21.00"
    entries = (await client.get("/v1/journal-entries", headers=headers)).json()["data"]
    assert len(entries) == 2
    replays = await asyncio.gather(
        *(
            operate(client, headers, books, "hold", amount="1", idempotency_key="hold-1")
            for _ in range(5)
        )
    )
    assert {r.json()["journal_entry_id"] for r in replays} == {
        replays[0].json()["journal_entry_id"]
    }


async def test_a_hundred_debits_against_fifty(
    client: httpx.AsyncClient, headers: Headers, books: Books
) -> None:
    await operate(client, headers, books, "adjust", type="CREDIT", amount="50")
    answers = await asyncio.gather(
        *(operate(client, headers, books, "adjust", type="DEBIT", amount="1") for _ in range(100))
    )
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] * 50 + [422] * 50
    assert (await balance_of(client, headers, books, books.points))["available"] == "0.00"


async def test_journal_entries_list_filter_and_tenancy(
    client: httpx.AsyncClient, headers: Headers, books: Books, db: Database
) -> None:
    for amount in ("1", "2", "3"):
        await operate(client, headers, books, "adjust", type="CREDIT", amount=amount)
    await operate(client, headers, books, "hold", amount="1")
    page = (await client.get("/v1/journal-entries", params={"limit": 2}, headers=headers)).json()
    assert [e["action_type"] for e in page["data"]] == ["HOLD", "CREDIT"]
    assert page["data"][0]["sequence"] == page["data"][1]["sequence"] + 1
    assert page["data"][0]["previous_hash"] == page["data"][1]["entry_hash"]
    rest = (
        await client.get(
            "/v1/journal-entries",
            params={"cursor": page["pagination"]["next_cursor"]},
            headers=headers,
        )
    ).json()
    assert len(rest["data"]) == 2
    holds = (
        await client.get("/v1/journal-entries", params={"action_type": "HOLD"}, headers=headers)
    ).json()
    assert len(holds["data"]) == 1
    mine = (
        await client.get(
            "/v1/journal-entries", params={"participant_id": books.participant}, headers=headers
        )
    ).json()
    assert len(mine["data"]) == 4
    other = {"X-API-Key": (await issue_key(db, organization_name=f"o-{uuid.uuid4().hex}")).key}
    entry_id = page["data"][0]["id"]
    assert (await client.get(f"/v1/journal-entries/{entry_id}", headers=other)).status_code == 404
    assert (await client.get("/v1/journal-entries", headers=other)).json()["data"] == []
    foreign = await client.post(
        f"/v1/participants/{books.participant}/balances/adjust",
        json={
            "program_id": books.program,
            "asset_id": books.points,
            "type": "CREDIT",
            "amount": "1",
            "description": "x",
        },
        headers=other,
    )
    assert foreign.status_code == 404
    for url in (
        f"/v1/participants/{books.participant}/balances",
        f"/v1/programs/{books.program}/balance",
    ):
        assert (await client.get(url, headers=other)).status_code == 404
    for bad in ({"limit": 0}, {"cursor": "x"}, {"action_type": "GIFT"}, {"from": "soon"}):
        assert (
            await client.get("/v1/journal-entries", params=bad, headers=headers)
        ).status_code == 400


async def test_the_check_finds_tampering(
    client: httpx.AsyncClient, headers: Headers, books: Books, db: Database, org: IssuedKey
) -> None:
    credited = await operate(client, headers, books, "adjust", type="CREDIT", amount="10")
    entry_id = uuid.UUID(credited.json()["journal_entry_id"])
    assert await verify_ledger(db, organization_id=org.organization_id) == []
    async with db.transaction() as session:
        await session.execute(
            update(Posting)
            .where(Posting.journal_entry_id == entry_id, Posting.amount > 0)  # type: ignore[arg-type]
            .values(amount=Decimal("1000"))
        )
    problems = await verify_ledger(db, organization_id=org.organization_id)
    assert any("entry_hash" in p for p in problems)
    assert any("do not balance" in p for p in problems)
    assert any("not the sum of its postings" in p for p in problems)
    async with db.transaction() as session:  # put it back, for the check after the test
        await session.execute(
            update(Posting)
            .where(Posting.journal_entry_id == entry_id, Posting.amount > 0)  # type: ignore[arg-type]
            .values(amount=Decimal("10"))
        )
    assert await verify_ledger(db, organization_id=org.organization_id) == []
    async with db.transaction() as session:  # who made it, and the stored answer, are sealed too
        entry = await session.get(JournalEntry, entry_id)
        assert entry is not None
        original = (entry.created_by_api_key_id, entry.response)
        entry.created_by_api_key_id, entry.response = None, {}
    problems = await verify_ledger(db, organization_id=org.organization_id)
    assert any("entry_hash" in p for p in problems)
    async with db.transaction() as session:
        entry = await session.get(JournalEntry, entry_id)
        assert entry is not None
        entry.created_by_api_key_id, entry.response = original
        balance = await session.get(
            Balance, (uuid.UUID(books.participant), uuid.UUID(books.points))
        )
        await session.delete(balance)
    problems = await verify_ledger(db, organization_id=org.organization_id)
    assert any("not the sum of its postings" in p for p in problems)
    async with db.transaction() as session:
        assert balance is not None
        session.add(Balance(**balance.model_dump()))


async def test_large_amounts_stay_exact(client: httpx.AsyncClient, headers: Headers) -> None:
    program = await new_program(client, headers)
    fine = await new_asset(client, headers, program, scale=18)
    whole = await new_asset(client, headers, program, scale=0)
    participant = (await new_participant(client, headers, program_id=program))["id"]
    url = f"/v1/participants/{participant}/balances/adjust"
    base = {"program_id": program, "type": "CREDIT", "description": "big"}
    big = "999999999999999999999999999999.999999999999999999"
    for _ in range(2):
        answer = await client.post(
            url, json={**base, "asset_id": fine["id"], "amount": big}, headers=headers
        )
        assert answer.status_code == 200, answer.text
    assert (
        answer.json()["balance"]["available"]
        == "1999999999999999999999999999999.999999999999999998"
    )
    after = await client.post(
        url, json={**base, "asset_id": fine["id"], "amount": "1"}, headers=headers
    )
    assert after.status_code == 200
    rounded_away = await client.post(
        url,
        json={**base, "asset_id": whole["id"], "amount": "1234567890123456789012345678.91"},
        headers=headers,
    )
    assert rounded_away.json()["code"] == "invalid_scale"


async def test_scrip_filters_are_accepted(
    client: httpx.AsyncClient, headers: Headers, books: Books
) -> None:
    await operate(client, headers, books, "adjust", type="CREDIT", amount="5")
    await operate(client, headers, books, "hold", amount="1")
    external_id = (
        await client.get(f"/v1/participants/{books.participant}", headers=headers)
    ).json()["external_id"]
    by_external = await client.get(
        "/v1/journal-entries", params={"external_id": external_id}, headers=headers
    )
    assert len(by_external.json()["data"]) == 2
    held = await client.get("/v1/journal-entries", params={"bucket": "HELD"}, headers=headers)
    assert [e["action_type"] for e in held.json()["data"]] == ["HOLD"]
    for params in ({"event_id": str(uuid.uuid4())}, {"reference_id": "r"}):
        assert (await client.get("/v1/journal-entries", params=params, headers=headers)).json()[
            "data"
        ] == []
    events = await client.get(
        f"/v1/participants/{books.participant}/activity/history",
        params={"event_from": "2020-01-01T00:00:00Z"},
        headers=headers,
    )
    assert events.json()["data"] == []


async def test_moves_are_held_to_the_scale(
    client: httpx.AsyncClient, headers: Headers, books: Books
) -> None:
    await operate(client, headers, books, "adjust", type="CREDIT", amount="10")
    refused = await operate(client, headers, books, "hold", amount="1.005")
    assert (refused.status_code, refused.json()["code"]) == (400, "invalid_scale")
    held = await operate(client, headers, books, "hold", amount="1.5")
    assert held.json()["amount_processed"] == "1.50"
