"""POST /v1/participants (CONTRACT §3, §5)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Any

import httpx
import pytest

from app.core.db import Database
from app.models import Enrollment, Participant, Program
from app.services.auth import IssuedKey
from tests.helpers import count_rows

FULL = {
    "external_id": "user_abc123",
    "status": "SUSPENDED",
    "email": "jane@example.com",
    "phone": "+15551234567",
    "first_name": "Jane",
    "last_name": "Doe",
    "display_name": "Jane D.",
    "attributes": {"plan": "premium", "region": "us-east"},
    "tags": ["VIP", "vip", "Early", "beta"],
}


async def post(client: httpx.AsyncClient, headers: dict[str, str], body: Any) -> httpx.Response:
    return await client.post("/v1/participants", json=body, headers=headers)


async def count_participants(db: Database, org: IssuedKey) -> int:
    return await count_rows(db, Participant, org.organization_id)


async def make_program(db: Database, organization_id: uuid.UUID, **values: Any) -> Program:
    async with db.transaction() as session:
        program = Program(organization_id=organization_id, name="Rewards", **values)
        session.add(program)
    return program


async def test_every_field_round_trips(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await post(client, headers, FULL)
    assert response.status_code == 201
    body = response.json()
    uuid.UUID(body["id"])
    assert {k: body[k] for k in FULL if k != "tags"} == {
        k: v for k, v in FULL.items() if k != "tags"
    }
    assert body["tags"] == ["vip", "early", "beta"]
    assert body["balances"] == []
    assert body["counters"] == {}
    assert body["tiers"] == {}
    assert body["program_ids"] == []
    assert body["created_at"].endswith("Z")
    assert body["created_at"] == body["updated_at"]
    datetime.fromisoformat(body["created_at"])


async def test_status_defaults_to_active(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await post(client, headers, {"external_id": "u-1"})
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "ACTIVE"
    assert body["attributes"] == {}
    assert body["tags"] == []
    assert body["email"] is None


async def test_upsert_merges_and_keeps(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    first = (await post(client, headers, FULL)).json()
    await asyncio.sleep(0.002)
    response = await post(
        client,
        headers,
        {
            "external_id": "user_abc123",
            "attributes": {"region": "eu-west", "tier": "2"},
            "tags": ["Gold"],
            "first_name": "",
            "phone": None,
        },
    )
    assert response.status_code == 200
    second = response.json()
    assert second["id"] == first["id"]
    assert second["attributes"] == {"plan": "premium", "region": "eu-west", "tier": "2"}
    assert second["tags"] == ["gold"]
    assert second["status"] == "SUSPENDED"  # omitted status is kept
    assert second["first_name"] is None  # "" clears
    assert second["phone"] == FULL["phone"]  # null means "leave as is"
    assert second["last_name"] == "Doe"
    assert second["created_at"] == first["created_at"]
    assert second["updated_at"] > first["updated_at"]


async def test_same_external_id_in_two_organizations(
    client: httpx.AsyncClient, headers: dict[str, str], org: IssuedKey, db: Database
) -> None:
    from app.services.auth import issue_key

    other = await issue_key(db, organization_name=f"other-{uuid.uuid4().hex}")
    mine = await post(client, headers, {"external_id": "shared", "tags": ["mine"]})
    theirs = await post(client, {"X-API-Key": other.key}, {"external_id": "shared"})
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]
    assert theirs.json()["tags"] == []


async def test_program_id_enrolls(
    client: httpx.AsyncClient, headers: dict[str, str], org: IssuedKey, db: Database
) -> None:
    program = await make_program(db, org.organization_id)
    created = await post(client, headers, {"external_id": "e1", "program_id": str(program.id)})
    assert created.status_code == 201
    assert created.json()["program_ids"] == [str(program.id)]
    again = await post(client, headers, {"external_id": "e1", "program_id": str(program.id)})
    assert again.status_code == 200
    assert again.json()["program_ids"] == [str(program.id)]
    other = await make_program(db, org.organization_id)
    third = await post(client, headers, {"external_id": "e1", "program_id": str(other.id)})
    assert third.json()["program_ids"] == [str(program.id), str(other.id)]
    without = await post(client, headers, {"external_id": "e1"})
    assert len(without.json()["program_ids"]) == 2  # enrollments are never removed here


@pytest.mark.parametrize("kind", ["unknown", "foreign", "archived"])
async def test_bad_program_writes_nothing(
    client: httpx.AsyncClient, headers: dict[str, str], org: IssuedKey, db: Database, kind: str
) -> None:
    from app.models import ProgramStatus
    from app.services.auth import issue_key

    if kind == "unknown":
        program_id = uuid.uuid4()
    elif kind == "foreign":
        other = await issue_key(db, organization_name=f"other-{uuid.uuid4().hex}")
        program_id = (await make_program(db, other.organization_id)).id
    else:
        program_id = (await make_program(db, org.organization_id, status=ProgramStatus.ARCHIVED)).id
    response = await post(client, headers, {"external_id": "p1", "program_id": str(program_id)})
    assert response.status_code == 400
    problem = response.json()["details"]["fields"][0]
    assert problem["field"] == "program_id"
    assert problem["reason"] == ("invalid" if kind == "archived" else "not_found")
    assert await count_participants(db, org) == 0
    enrolled = await count_rows(db, Enrollment, org.organization_id)
    assert enrolled == 0


async def test_bad_program_does_not_touch_existing(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    await post(client, headers, {"external_id": "p2", "tags": ["keep"]})
    response = await post(
        client, headers, {"external_id": "p2", "tags": ["lost"], "program_id": str(uuid.uuid4())}
    )
    assert response.status_code == 400
    again = await post(client, headers, {"external_id": "p2"})
    assert again.json()["tags"] == ["keep"]


TOO_MANY_ATTRIBUTES = {f"k{i}": "v" for i in range(101)}


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ({}, "external_id", "required"),
        ({"external_id": None}, "external_id", "required"),
        ({"external_id": ""}, "external_id", "too_short"),
        ({"external_id": "x" * 256}, "external_id", "too_long"),
        ({"external_id": "   "}, "external_id", "invalid"),
        ({"external_id": "a\nb"}, "external_id", "invalid"),
        ({"external_id": 42}, "external_id", "invalid"),
        ({"external_id": "x", "status": "active"}, "status", "invalid"),
        ({"external_id": "x", "status": "DELETED"}, "status", "invalid"),
        ({"external_id": "x", "email": "not-an-email"}, "email", "invalid"),
        ({"external_id": "x", "email": "a" * 250 + "@x.com"}, "email", "too_long"),
        ({"external_id": "x", "phone": "1" * 51}, "phone", "too_long"),
        ({"external_id": "x", "first_name": "n" * 256}, "first_name", "too_long"),
        ({"external_id": "x", "last_name": "n" * 256}, "last_name", "too_long"),
        ({"external_id": "x", "display_name": "n" * 256}, "display_name", "too_long"),
        ({"external_id": "x", "display_name": 7}, "display_name", "invalid"),
        ({"external_id": "x", "program_id": "not-a-uuid"}, "program_id", "invalid"),
        ({"external_id": "x", "attributes": ["a"]}, "attributes", "invalid"),
        ({"external_id": "x", "attributes": TOO_MANY_ATTRIBUTES}, "attributes", "too_many"),
        ({"external_id": "x", "attributes": {"": "v"}}, "attributes.", "too_short"),
        (
            {"external_id": "x", "attributes": {"k" * 101: "v"}},
            "attributes." + "k" * 101,
            "too_long",
        ),
        ({"external_id": "x", "attributes": {"k": "v" * 1001}}, "attributes.k", "too_long"),
        ({"external_id": "x", "attributes": {"k": 1}}, "attributes.k", "invalid"),
        ({"external_id": "x", "tags": "vip"}, "tags", "invalid"),
        ({"external_id": "x", "tags": [""]}, "tags[0]", "too_short"),
        ({"external_id": "x", "tags": ["ok", "t" * 256]}, "tags[1]", "too_long"),
        ({"external_id": "x", "tags": [f"t{i}" for i in range(101)]}, "tags", "too_many"),
        ({"external_id": "x", "tags": [1]}, "tags[0]", "invalid"),
        ({"external_id": "x", "balances": []}, "balances", "invalid"),
        ({"external_id": "x", "first_name": "nul\x00"}, "first_name", "invalid"),
    ],
)
async def test_validation_one_past_each_limit(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    org: IssuedKey,
    db: Database,
    body: dict[str, Any],
    field: str,
    reason: str,
) -> None:
    response = await post(client, headers, body)
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["code"] == "bad_request"
    assert {"field": field, "reason": reason} in [
        {"field": f["field"], "reason": f["reason"]} for f in error["details"]["fields"]
    ]
    assert await count_participants(db, org) == 0


async def test_limits_themselves_are_accepted(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    body = {
        "external_id": "x" * 255,
        "phone": "1" * 50,
        "first_name": "n" * 255,
        "attributes": {f"{i:0>100}": "v" * 1000 for i in range(100)},
        "tags": [f"{i:0>255}" for i in range(100)],
    }
    response = await post(client, headers, body)
    assert response.status_code == 201, response.text
    assert len(response.json()["attributes"]) == 100


async def test_every_problem_is_listed(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await post(
        client, headers, {"external_id": "", "status": "NOPE", "email": "x", "tags": [""]}
    )
    fields = {f["field"] for f in response.json()["details"]["fields"]}
    assert fields == {"external_id", "status", "email", "tags[0]"}


async def test_merge_past_100_attributes_is_refused(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    await post(
        client, headers, {"external_id": "m", "attributes": {f"a{i}": "v" for i in range(60)}}
    )
    response = await post(
        client, headers, {"external_id": "m", "attributes": {f"b{i}": "v" for i in range(60)}}
    )
    assert response.status_code == 400
    assert response.json()["details"]["fields"][0] == {
        "field": "attributes",
        "reason": "too_many",
        "message": "would hold 120 keys once merged; at most 100 are allowed",
    }
    kept = await post(client, headers, {"external_id": "m"})
    assert len(kept.json()["attributes"]) == 60


@pytest.mark.parametrize(
    ("content", "content_type", "status", "code"),
    [
        (b'{"external_id": ', "application/json", 400, "bad_request"),
        (b"[1, 2]", "application/json", 400, "bad_request"),
        (b'"just a string"', "application/json", 400, "bad_request"),
        (b"\xff\xfe{}", "application/json", 400, "bad_request"),
        (b"external_id=x", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        (b'{"external_id": "x"}', "text/plain", 415, "unsupported_media_type"),
        (
            b'{"external_id": "' + b"x" * (1024 * 1024) + b'"}',
            "application/json",
            413,
            "payload_too_large",
        ),
    ],
)
async def test_bad_bodies(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    org: IssuedKey,
    db: Database,
    content: bytes,
    content_type: str,
    status: int,
    code: str,
) -> None:
    response = await client.post(
        "/v1/participants", content=content, headers={**headers, "Content-Type": content_type}
    )
    assert response.status_code == status
    assert response.json()["code"] == code
    assert response.json()["message"]
    assert await count_participants(db, org) == 0


async def test_json_with_charset_and_vendor_types(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        response = await client.post(
            "/v1/participants",
            content=b'{"external_id": "ct"}',
            headers={**headers, "Content-Type": content_type},
        )
        assert response.status_code in (200, 201)


async def test_unknown_route_and_method(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    missing = await client.get("/v1/nothing-here", headers=headers)
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"
    wrong = await client.delete("/v1/participants", headers=headers)
    assert wrong.status_code == 405
    assert set(wrong.headers["allow"].split(", ")) == {"GET", "HEAD", "POST"}
    assert wrong.json()["code"] == "method_not_allowed"


async def test_unicode_and_sql_looking_ids_are_stored_exactly(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    for external_id in ("Robert'); DROP TABLE participants;--", "ユーザー🎉", "CaseSensitive"):
        response = await post(client, headers, {"external_id": external_id})
        assert response.status_code == 201
        assert response.json()["external_id"] == external_id
    lower = await post(client, headers, {"external_id": "casesensitive"})
    assert lower.status_code == 201
