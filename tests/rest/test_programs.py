"""`/v1/programs` (issue 6): create, read, change, list; archive rules; tenancy."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from app.core.db import Database
from app.models import Program
from app.services.auth import IssuedKey, issue_key
from tests.helpers import count_rows


async def create(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> httpx.Response:
    return await client.post("/v1/programs", json={"name": "Rewards", **body}, headers=headers)


async def test_create_defaults_and_read_back(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    created = await create(client, headers, description="Earn points")
    assert created.status_code == 201
    program = created.json()
    assert program["status"] == "ACTIVE"
    assert program["on_unknown_participant"] == "CREATE"
    assert program["description"] == "Earn points"
    assert program["deleted_at"] is None
    assert program["created_at"] == program["updated_at"]
    fetched = await client.get(f"/v1/programs/{program['id']}", headers=headers)
    assert fetched.json() == program


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ({"name": ""}, "name", "too_short"),
        ({"name": "   "}, "name", "invalid"),
        ({"name": "n" * 256}, "name", "too_long"),
        ({"description": "d" * 1001}, "description", "too_long"),
        ({"on_unknown_participant": "MAYBE"}, "on_unknown_participant", "invalid"),
        ({"status": "ACTIVE"}, "status", "invalid"),  # not settable on create
        ({"name": None}, "name", "required"),
    ],
)
async def test_create_validation(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    org: IssuedKey,
    db: Database,
    body: dict[str, Any],
    field: str,
    reason: str,
) -> None:
    response = await client.post("/v1/programs", json={"name": "ok", **body}, headers=headers)
    assert response.status_code == 400
    problems = response.json()["details"]["fields"]
    assert {"field": field, "reason": reason} in [
        {"field": p["field"], "reason": p["reason"]} for p in problems
    ], problems
    assert await count_rows(db, Program, org.organization_id) == 0


async def test_limits_are_accepted(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await create(
        client, headers, name="n" * 255, description="d" * 1000, on_unknown_participant="REJECT"
    )
    assert response.status_code == 201
    assert response.json()["on_unknown_participant"] == "REJECT"


async def test_patch_changes_only_what_is_given(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    program = (await create(client, headers, description="old")).json()
    patched = await client.patch(
        f"/v1/programs/{program['id']}", json={"name": "Renamed"}, headers=headers
    )
    assert patched.status_code == 200
    body = patched.json()
    assert (body["name"], body["description"]) == ("Renamed", "old")
    assert body["updated_at"] > program["updated_at"]
    cleared = await client.patch(
        f"/v1/programs/{program['id']}", json={"description": ""}, headers=headers
    )
    assert cleared.json()["description"] is None
    bad = await client.patch(
        f"/v1/programs/{program['id']}", json={"name": "", "bogus": 1}, headers=headers
    )
    assert bad.status_code == 400
    assert {p["field"] for p in bad.json()["details"]["fields"]} == {"name", "bogus"}
    unchanged = await client.get(f"/v1/programs/{program['id']}", headers=headers)
    assert unchanged.json()["name"] == "Renamed"


async def test_archive_hides_and_comes_back(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    program = (await create(client, headers)).json()
    url = f"/v1/programs/{program['id']}"
    archived = (await client.patch(url, json={"status": "ARCHIVED"}, headers=headers)).json()
    assert archived["status"] == "ARCHIVED"
    assert archived["deleted_at"] is not None
    listed = (await client.get("/v1/programs", headers=headers)).json()["data"]
    assert program["id"] not in [p["id"] for p in listed]
    for params in ({"include_archived": "true"}, {"status": "ARCHIVED"}):
        shown = (await client.get("/v1/programs", params=params, headers=headers)).json()
        assert program["id"] in [p["id"] for p in shown["data"]]
    enrolled = await client.post(
        "/v1/participants",
        json={"external_id": "late", "program_id": program["id"]},
        headers=headers,
    )
    assert enrolled.status_code == 400
    assert enrolled.json()["details"]["fields"][0]["field"] == "program_id"
    back = (await client.patch(url, json={"status": "ACTIVE"}, headers=headers)).json()
    assert (back["status"], back["deleted_at"]) == ("ACTIVE", None)


async def test_list_pages_sorts_and_searches(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    names = ["Gold", "silver club", "Bronze", "Platinum", "gold_rush"]
    for name in names:
        assert (await create(client, headers, name=name)).status_code == 201
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, str] = {"limit": "2", "sort_by": "name", "sort_dir": "asc"}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/v1/programs", params=params, headers=headers)).json()
        seen += [p["name"] for p in page["data"]]
        cursor = page["pagination"]["next_cursor"]
        if not page["pagination"]["has_more"]:
            assert cursor is None
            break
    assert seen == sorted(names)
    newest = (await client.get("/v1/programs", headers=headers)).json()["data"]
    assert [p["name"] for p in newest] == list(reversed(names))
    found = (await client.get("/v1/programs", params={"search": "GOLD"}, headers=headers)).json()
    assert sorted(p["name"] for p in found["data"]) == ["Gold", "gold_rush"]
    literal = (await client.get("/v1/programs", params={"search": "_"}, headers=headers)).json()
    assert [p["name"] for p in literal["data"]] == ["gold_rush"]  # "_" is not a wildcard


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"sort_by": "status"}, "sort_by"),
        ({"status": "GONE"}, "status"),
        ({"cursor": "nope"}, "cursor"),
        ({"unknown": "1"}, "unknown"),
    ],
)
async def test_bad_list_parameters(
    client: httpx.AsyncClient, headers: dict[str, str], params: dict[str, str], field: str
) -> None:
    response = await client.get("/v1/programs", params=params, headers=headers)
    assert response.status_code == 400
    assert field in [p["field"] for p in response.json()["details"]["fields"]]


async def test_a_participant_cursor_is_not_a_program_cursor(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    for i in range(2):
        await client.post("/v1/participants", json={"external_id": f"c{i}"}, headers=headers)
    cursor = (await client.get("/v1/participants", params={"limit": 1}, headers=headers)).json()[
        "pagination"
    ]["next_cursor"]
    response = await client.get("/v1/programs", params={"cursor": cursor}, headers=headers)
    assert response.status_code == 400


async def test_other_organizations_programs_are_unknown(
    client: httpx.AsyncClient, headers: dict[str, str], db: Database
) -> None:
    other = await issue_key(db, organization_name=f"other-{uuid.uuid4().hex}")
    theirs = (await create(client, {"X-API-Key": other.key}, name="Theirs")).json()
    url = f"/v1/programs/{theirs['id']}"
    assert (await client.get(url, headers=headers)).status_code == 404
    patched = await client.patch(url, json={"name": "Mine now"}, headers=headers)
    assert patched.status_code == 404
    for missing in (str(uuid.uuid4()), "not-a-uuid"):
        assert (await client.get(f"/v1/programs/{missing}", headers=headers)).status_code == 404
    listed = (await client.get("/v1/programs", headers=headers)).json()["data"]
    assert theirs["id"] not in [p["id"] for p in listed]
    untouched = await client.get(f"/v1/programs/{theirs['id']}", headers={"X-API-Key": other.key})
    assert untouched.json()["name"] == "Theirs"
