"""GET /v1/participants and GET /v1/participants/{id} (issue 3)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from app.core.db import Database
from app.models import Enrollment, Participant, ParticipantStatus, Program
from app.services.auth import IssuedKey, issue_key

BASE = datetime(2024, 1, 15, 10, 30, tzinfo=UTC)
STATUSES = [ParticipantStatus.ACTIVE, ParticipantStatus.SUSPENDED, ParticipantStatus.CLOSED]


async def seed(db: Database, org: IssuedKey, count: int = 23) -> list[Participant]:
    """Participants with colliding created_at values (ties must break on id) and varied statuses."""
    rows = [
        Participant(
            organization_id=org.organization_id,
            external_id=f"user-{i:03d}",
            status=STATUSES[i % 3],
            email=f"person{i}@Example.com",
            first_name="Jane" if i % 4 == 0 else "John",
            created_at=BASE + timedelta(minutes=i // 3),
            updated_at=BASE + timedelta(minutes=i // 3),
        )
        for i in range(count)
    ]
    async with db.transaction() as session:
        session.add_all(rows)
    return rows


def expected_order(rows: list[Participant], sort_by: str, sort_dir: str) -> list[str]:
    keys = {
        "created_at": lambda p: (p.created_at, p.id.hex),
        "external_id": lambda p: (p.external_id,),
        "status": lambda p: (p.status.value, p.created_at, p.id.hex),
    }[sort_by]
    return [str(p.id) for p in sorted(rows, key=keys, reverse=sort_dir == "desc")]


async def walk(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    cursor = None
    for _ in range(1000):
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/v1/participants", params=query, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        seen.extend(body["data"])
        if not body["pagination"]["has_more"]:
            assert body["pagination"]["next_cursor"] is None
            return seen
        cursor = body["pagination"]["next_cursor"]
    raise AssertionError("pagination did not end")


@pytest.mark.parametrize("sort_by", ["created_at", "external_id", "status"])
@pytest.mark.parametrize("sort_dir", ["asc", "desc"])
@pytest.mark.parametrize("limit", [1, 4, 200])
async def test_walking_all_pages_yields_everyone_once_in_order(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    org: IssuedKey,
    db: Database,
    sort_by: str,
    sort_dir: str,
    limit: int,
) -> None:
    rows = await seed(db, org)
    seen = await walk(client, headers, sort_by=sort_by, sort_dir=sort_dir, limit=limit)
    assert [p["id"] for p in seen] == expected_order(rows, sort_by, sort_dir)


async def test_defaults_newest_first_fifty(
    client: httpx.AsyncClient, headers: dict[str, str], org: IssuedKey, db: Database
) -> None:
    rows = await seed(db, org, count=55)
    body = (await client.get("/v1/participants", headers=headers)).json()
    assert len(body["data"]) == 50
    assert body["pagination"]["has_more"] is True
    assert [p["id"] for p in body["data"]] == expected_order(rows, "created_at", "desc")[:50]
    item = body["data"][0]
    assert set(item) == {
        "id",
        "external_id",
        "status",
        "email",
        "phone",
        "first_name",
        "last_name",
        "display_name",
        "created_at",
        "updated_at",
    }


async def test_rows_inserted_while_paging_are_neither_duplicated_nor_skipped(
    client: httpx.AsyncClient, headers: dict[str, str], org: IssuedKey, db: Database
) -> None:
    rows = await seed(db, org, count=10)
    first = (await client.get("/v1/participants", params={"limit": 4}, headers=headers)).json()
    for i in range(5):  # newer than everything: they belong before the cursor
        await client.post("/v1/participants", json={"external_id": f"late-{i}"}, headers=headers)
    seen = first["data"] + await walk(
        client, headers, limit=4, cursor=first["pagination"]["next_cursor"]
    )
    ids = [p["id"] for p in seen]
    assert len(ids) == len(set(ids))
    assert ids == expected_order(rows, "created_at", "desc")


async def test_empty_and_last_pages(
    client: httpx.AsyncClient, headers: dict[str, str], org: IssuedKey, db: Database
) -> None:
    empty = (await client.get("/v1/participants", headers=headers)).json()
    assert empty == {"data": [], "pagination": {"has_more": False, "next_cursor": None}}
    await seed(db, org, count=4)
    exact = (await client.get("/v1/participants", params={"limit": 4}, headers=headers)).json()
    assert len(exact["data"]) == 4
    assert exact["pagination"] == {"has_more": False, "next_cursor": None}


async def test_filters(
    client: httpx.AsyncClient, headers: dict[str, str], org: IssuedKey, db: Database
) -> None:
    rows = await seed(db, org)
    async with db.transaction() as session:
        program = Program(organization_id=org.organization_id, name="P")
        session.add(program)
        await session.flush()
        session.add_all(
            Enrollment(
                participant_id=p.id, program_id=program.id, organization_id=p.organization_id
            )
            for p in rows[:5]
        )

    async def ids(**params: Any) -> set[str]:
        return {p["id"] for p in await walk(client, headers, limit=7, **params)}

    def where(predicate: Any) -> set[str]:
        return {str(p.id) for p in rows if predicate(p)}

    assert await ids(external_id="user-007") == where(lambda p: p.external_id == "user-007")
    assert await ids(external_id="USER-007") == set()  # exact, case-sensitive
    assert await ids(status="SUSPENDED") == where(lambda p: p.status == "SUSPENDED")
    assert await ids(program_id=str(program.id)) == where(lambda p: p in rows[:5])
    assert await ids(search="jane") == where(lambda p: p.first_name == "Jane")
    assert await ids(search="EXAMPLE.COM") == where(lambda p: True)
    assert await ids(search="person1") == where(lambda p: (p.email or "").startswith("person1"))
    assert await ids(search="%") == set()  # wildcards are literal
    assert await ids(search="_") == set()
    start, end = BASE + timedelta(minutes=2), BASE + timedelta(minutes=4)
    assert await ids(**{"from": start.isoformat(), "to": end.isoformat()}) == where(
        lambda p: start <= p.created_at < end
    )
    assert await ids(status="ACTIVE", search="jane", sort_by="external_id") == where(
        lambda p: p.status == "ACTIVE" and p.first_name == "Jane"
    )


async def test_other_organizations_are_invisible(
    client: httpx.AsyncClient, headers: dict[str, str], org: IssuedKey, db: Database
) -> None:
    other = await issue_key(db, organization_name=f"other-{uuid.uuid4().hex}")
    theirs = await seed(db, other, count=3)
    mine = await seed(db, org, count=2)
    listed = await walk(client, headers)
    assert {p["id"] for p in listed} == {str(p.id) for p in mine}
    foreign = await client.get(f"/v1/participants/{theirs[0].id}", headers=headers)
    unknown = await client.get(f"/v1/participants/{uuid.uuid4()}", headers=headers)
    malformed = await client.get("/v1/participants/not-a-uuid", headers=headers)
    for response in (foreign, unknown, malformed):
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "message": "no such participant"}


async def test_detail_is_the_full_participant(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    created = await client.post(
        "/v1/participants",
        json={"external_id": "detail", "tags": ["a"], "attributes": {"k": "v"}},
        headers=headers,
    )
    detail = await client.get(f"/v1/participants/{created.json()['id']}", headers=headers)
    assert detail.status_code == 200
    assert detail.json() == created.json()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"sort_by": "name"}, "sort_by"),
        ({"sort_dir": "up"}, "sort_dir"),
        ({"status": "active"}, "status"),
        ({"program_id": "nope"}, "program_id"),
        ({"from": "yesterday"}, "from"),
        ({"to": "2024-01-01T00:00:00"}, "to"),
        ({"cursor": "garbage"}, "cursor"),
        ({"external_id": ""}, "external_id"),
        ({"search": "s" * 256}, "search"),
        ({"colour": "blue"}, "colour"),
    ],
)
async def test_bad_parameters(
    client: httpx.AsyncClient, headers: dict[str, str], params: dict[str, str], field: str
) -> None:
    response = await client.get("/v1/participants", params=params, headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "bad_request"
    assert field in [f["field"] for f in response.json()["details"]["fields"]]


async def test_tampered_and_mismatched_cursors(
    client: httpx.AsyncClient, headers: dict[str, str], org: IssuedKey, db: Database
) -> None:
    await seed(db, org, count=5)
    page = (await client.get("/v1/participants", params={"limit": 2}, headers=headers)).json()
    cursor = page["pagination"]["next_cursor"]
    body, mac = cursor.split(".")
    tampered = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1] + "." + mac
    for params in (
        {"cursor": tampered},
        {"cursor": cursor + "x"},
        {"cursor": cursor, "sort_by": "external_id"},
        {"cursor": cursor, "sort_dir": "asc"},
    ):
        response = await client.get("/v1/participants", params=params, headers=headers)
        assert response.status_code == 400, params
        assert response.json()["details"]["fields"][0]["field"] == "cursor"
