"""`/v1/programs/{id}/tiers` (issue 6): tier definitions with ranked levels; immutable keys,
one-way archive, validation, tenancy, and participant tier ranks read from the definition."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from app.core.db import Database
from app.models import ParticipantTier, Tier, TierLevel, utcnow
from app.services.auth import IssuedKey, issue_key
from tests.helpers import count_rows
from tests.rest.test_assets import Headers, new_program

LEVELS = [
    {"key": "silver", "rank": 1, "display_name": "Silver"},
    {"key": "gold", "rank": 2, "display_name": "Gold", "benefits": {"lounge": True}},
]


def tier_fields(**overrides: Any) -> dict[str, Any]:
    return {"key": "status", "display_name": "Status", "levels": LEVELS, **overrides}


async def new_tier(
    client: httpx.AsyncClient, headers: Headers, program_id: str, **overrides: Any
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/programs/{program_id}/tiers", json=tier_fields(**overrides), headers=headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_create_and_read_back(client: httpx.AsyncClient, headers: Headers) -> None:
    program_id = await new_program(client, headers)
    levels = [LEVELS[1], LEVELS[0]]  # given out of order: answered lowest rank first
    tier = await new_tier(client, headers, program_id, levels=levels)
    assert tier["program_id"] == program_id
    assert (tier["key"], tier["display_name"], tier["status"]) == ("status", "Status", "ACTIVE")
    assert tier["archived_at"] is None
    assert [(lv["key"], lv["rank"]) for lv in tier["levels"]] == [("silver", 1), ("gold", 2)]
    assert tier["levels"][1]["benefits"] == {"lounge": True}
    assert tier["levels"][0]["benefits"] == {}
    assert all(uuid.UUID(level["id"]) for level in tier["levels"])
    fetched = await client.get(f"/v1/programs/{program_id}/tiers/status", headers=headers)
    assert fetched.json() == tier


@pytest.mark.parametrize(
    ("overrides", "field", "reason"),
    [
        ({"key": "Status"}, "key", "invalid"),
        ({"key": "1st"}, "key", "invalid"),
        ({"key": "a" * 65}, "key", "invalid"),
        ({"key": ""}, "key", "invalid"),
        ({"display_name": "d" * 256}, "display_name", "too_long"),
        ({"levels": []}, "levels", "too_short"),
        ({"levels": None}, "levels", "required"),
        ({"levels": [{"key": "x", "rank": 1}] * 2}, "levels[1].key", "invalid"),
        (
            {"levels": [{"key": "a", "rank": 1}, {"key": "b", "rank": 1}]},
            "levels[1].rank",
            "invalid",
        ),
        ({"levels": [{"key": "a", "rank": "1"}]}, "levels[0].rank", "invalid"),
        ({"levels": [{"key": "a", "rank": 1.5}]}, "levels[0].rank", "invalid"),
        ({"levels": [{"key": "a", "rank": 2**31}]}, "levels[0].rank", "invalid"),
        ({"levels": [{"key": "A", "rank": 1}]}, "levels[0].key", "invalid"),
        ({"levels": [{"rank": 1}]}, "levels[0].key", "required"),
        ({"levels": [{"key": "a", "rank": 1, "benefits": []}]}, "levels[0].benefits", "invalid"),
        (
            {"levels": [{"key": "a", "rank": 1, "benefits": {"x": "y" * 9000}}]},
            "levels[0].benefits",
            "too_long",
        ),
        ({"levels": [{"key": "a", "rank": 1, "color": "red"}]}, "levels[0].color", "invalid"),
        (
            {"levels": [{"key": "a", "rank": 1, "benefits": {"x": ["\u0000"]}}]},
            "levels[0].benefits",
            "invalid",
        ),
        ({"lifecycle": {}}, "lifecycle", "invalid"),
    ],
)
async def test_create_validation(
    client: httpx.AsyncClient,
    headers: Headers,
    org: IssuedKey,
    db: Database,
    overrides: dict[str, Any],
    field: str,
    reason: str,
) -> None:
    program_id = await new_program(client, headers)
    response = await client.post(
        f"/v1/programs/{program_id}/tiers", json=tier_fields(**overrides), headers=headers
    )
    assert response.status_code == 400, response.text
    problems = [(p["field"], p["reason"]) for p in response.json()["details"]["fields"]]
    assert (field, reason) in problems
    assert await count_rows(db, Tier, org.organization_id) == 0
    assert await count_rows(db, TierLevel, org.organization_id) == 0


async def test_lone_surrogates_in_benefits_are_refused(
    client: httpx.AsyncClient, headers: Headers
) -> None:
    program_id = await new_program(client, headers)
    raw = b'{"key": "k", "levels": [{"key": "a", "rank": 1, "benefits": {"x\\ud800": 1}}]}'
    response = await client.post(
        f"/v1/programs/{program_id}/tiers",
        content=raw,
        headers={**headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400


async def test_duplicates_are_listed_with_other_problems(
    client: httpx.AsyncClient, headers: Headers
) -> None:
    program_id = await new_program(client, headers)
    levels = [{"key": "a", "rank": 1}, {"key": "a", "rank": 1}, {"key": "B", "rank": 2}]
    response = await client.post(
        f"/v1/programs/{program_id}/tiers", json={"key": "!", "levels": levels}, headers=headers
    )
    fields = {p["field"] for p in response.json()["details"]["fields"]}
    assert {"key", "levels[0].key", "levels[1].key", "levels[1].rank", "levels[2].key"} <= fields


async def test_key_is_unique_per_program(client: httpx.AsyncClient, headers: Headers) -> None:
    first, second = await new_program(client, headers), await new_program(client, headers)
    await new_tier(client, headers, first)
    again = await client.post(f"/v1/programs/{first}/tiers", json=tier_fields(), headers=headers)
    assert again.status_code == 409
    assert again.json()["code"] == "conflict"
    assert again.json()["details"]["fields"][0]["field"] == "key"
    await new_tier(client, headers, second)  # the same key in another program is fine


async def test_unknown_or_archived_program(client: httpx.AsyncClient, headers: Headers) -> None:
    for missing in (str(uuid.uuid4()), "not-a-uuid"):
        url = f"/v1/programs/{missing}/tiers"
        assert (await client.post(url, json=tier_fields(), headers=headers)).status_code == 404
        assert (await client.get(url, headers=headers)).status_code == 404
    program_id = await new_program(client, headers)
    await client.patch(f"/v1/programs/{program_id}", json={"status": "ARCHIVED"}, headers=headers)
    refused = await client.post(
        f"/v1/programs/{program_id}/tiers", json=tier_fields(), headers=headers
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "program_archived"


async def test_patch_matches_levels_by_key(client: httpx.AsyncClient, headers: Headers) -> None:
    program_id = await new_program(client, headers)
    tier = await new_tier(client, headers, program_id)
    url = f"/v1/programs/{program_id}/tiers/status"
    silver, gold = tier["levels"]
    swapped = [  # ranks swap places, a level is added
        {"key": "silver", "rank": 2, "display_name": "Silver"},
        {"key": "gold", "rank": 1},
        {"key": "platinum", "rank": 3},
    ]
    patched = await client.patch(url, json={"levels": swapped}, headers=headers)
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert [(lv["key"], lv["rank"]) for lv in body["levels"]] == [
        ("gold", 1),
        ("silver", 2),
        ("platinum", 3),
    ]
    by_key = {lv["key"]: lv for lv in body["levels"]}
    assert by_key["silver"]["id"] == silver["id"]
    assert by_key["silver"]["created_at"] == silver["created_at"]
    assert by_key["gold"]["id"] == gold["id"]
    assert by_key["gold"]["display_name"] is None
    assert body["display_name"] == "Status"  # omitted: unchanged
    renamed = await client.patch(url, json={"display_name": "Standing"}, headers=headers)
    assert renamed.json()["display_name"] == "Standing"
    assert renamed.json()["levels"] == body["levels"]
    assert (await client.get(url, headers=headers)).json() == renamed.json()


async def test_patch_refuses_key_change_and_bad_levels(
    client: httpx.AsyncClient, headers: Headers
) -> None:
    program_id = await new_program(client, headers)
    tier = await new_tier(client, headers, program_id)
    url = f"/v1/programs/{program_id}/tiers/status"
    renamed = await client.patch(url, json={"key": "other", "display_name": "X"}, headers=headers)
    assert renamed.status_code == 400
    assert renamed.json()["details"]["fields"][0]["field"] == "key"
    twice = await client.patch(
        url, json={"levels": [{"key": "a", "rank": 1}, {"key": "b", "rank": 1}]}, headers=headers
    )
    assert twice.status_code == 400
    assert (await client.get(url, headers=headers)).json() == tier
    unknown = await client.patch(
        f"/v1/programs/{program_id}/tiers/nope", json={"display_name": "x"}, headers=headers
    )
    assert unknown.status_code == 404


async def test_levels_held_by_participants_cannot_be_removed(
    client: httpx.AsyncClient, headers: Headers, db: Database, org: IssuedKey
) -> None:
    program_id = await new_program(client, headers)
    await new_tier(client, headers, program_id)
    created = await client.post(
        "/v1/participants",
        json={"external_id": "holder", "program_id": program_id},
        headers=headers,
    )
    participant_id = created.json()["id"]
    async with db.transaction() as session:
        session.add(
            ParticipantTier(
                participant_id=uuid.UUID(participant_id),
                program_id=uuid.UUID(program_id),
                tier_key="status",
                organization_id=org.organization_id,
                level="gold",
                rank=99,  # a stale copy: the definition's rank wins
                updated_at=utcnow(),
            )
        )
    detail = (await client.get(f"/v1/participants/{participant_id}", headers=headers)).json()
    assert detail["tiers"] == {"status": {"level": "gold", "rank": 2}}
    url = f"/v1/programs/{program_id}/tiers/status"
    refused = await client.patch(
        url, json={"levels": [{"key": "silver", "rank": 1}]}, headers=headers
    )
    assert refused.status_code == 409
    assert "gold" in refused.json()["message"]
    reranked = await client.patch(
        url,
        json={"levels": [{"key": "silver", "rank": 1}, {"key": "gold", "rank": 7}]},
        headers=headers,
    )
    assert reranked.status_code == 200
    detail = (await client.get(f"/v1/participants/{participant_id}", headers=headers)).json()
    assert detail["tiers"] == {"status": {"level": "gold", "rank": 7}}


async def test_archive_is_one_way(client: httpx.AsyncClient, headers: Headers) -> None:
    program_id = await new_program(client, headers)
    await new_tier(client, headers, program_id)
    base = f"/v1/programs/{program_id}/tiers/status"
    archived = await client.post(f"{base}/archive", headers=headers)
    assert archived.status_code == 200
    assert archived.json()["status"] == "ARCHIVED"
    assert archived.json()["archived_at"] is not None
    again = await client.post(f"{base}/archive", headers=headers)
    assert again.status_code == 409
    assert again.json()["code"] == "tier_archived"
    patched = await client.patch(base, json={"display_name": "x"}, headers=headers)
    assert patched.status_code == 409
    assert patched.json()["code"] == "tier_archived"
    assert (await client.get(base, headers=headers)).json() == archived.json()
    missing = await client.post(f"/v1/programs/{program_id}/tiers/nope/archive", headers=headers)
    assert missing.status_code == 404


async def test_list_pages_by_key_and_filters_status(
    client: httpx.AsyncClient, headers: Headers
) -> None:
    program_id = await new_program(client, headers)
    keys = ["delta", "alpha", "charlie", "bravo", "echo"]
    for key in keys:
        await new_tier(client, headers, program_id, key=key)
    await client.post(f"/v1/programs/{program_id}/tiers/bravo/archive", headers=headers)
    url = f"/v1/programs/{program_id}/tiers"
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(url, params=params, headers=headers)).json()
        seen += [t["key"] for t in page["data"]]
        assert all(len(t["levels"]) == 2 for t in page["data"])
        cursor = page["pagination"]["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(keys)
    active = (await client.get(url, params={"status": "ACTIVE"}, headers=headers)).json()
    assert [t["key"] for t in active["data"]] == ["alpha", "charlie", "delta", "echo"]
    for bad in ({"limit": 0}, {"cursor": "junk"}, {"status": "GONE"}, {"sort_by": "key"}):
        assert (await client.get(url, params=bad, headers=headers)).status_code == 400


async def test_other_organizations_tiers_are_unknown(
    client: httpx.AsyncClient, headers: Headers, db: Database
) -> None:
    other = {"X-API-Key": (await issue_key(db, organization_name=f"o-{uuid.uuid4().hex}")).key}
    their_program = await new_program(client, other)
    theirs = await new_tier(client, other, their_program)
    base = f"/v1/programs/{their_program}/tiers"
    assert (await client.get(base, headers=headers)).status_code == 404
    assert (await client.get(f"{base}/status", headers=headers)).status_code == 404
    assert (
        await client.post(base, json=tier_fields(key="mine"), headers=headers)
    ).status_code == 404
    patched = await client.patch(f"{base}/status", json={"display_name": "x"}, headers=headers)
    assert patched.status_code == 404
    assert (await client.post(f"{base}/status/archive", headers=headers)).status_code == 404
    assert (await client.get(f"{base}/status", headers=other)).json() == theirs
