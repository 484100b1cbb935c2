"""`/v1/assets` and `/v1/programs/{id}/assets` (issue 6): create, read, change, list, link;
immutability, one-way archive, validation, tenancy."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from app.core.db import Database
from app.models import Asset, ProgramAsset
from app.services.auth import IssuedKey, issue_key
from tests.helpers import count_rows

Headers = dict[str, str]


async def new_program(client: httpx.AsyncClient, headers: Headers, **body: Any) -> str:
    response = await client.post("/v1/programs", json={"name": "Rewards", **body}, headers=headers)
    assert response.status_code == 201, response.text
    program_id: str = response.json()["id"]
    return program_id


def asset_fields(program: str, **overrides: Any) -> dict[str, Any]:
    return {
        "program_id": program,
        "name": "Points",
        "symbol": f"P{uuid.uuid4().hex[:8].upper()}",
        "inventory_mode": "SIMPLE",
        "issuance_policy": "UNLIMITED",
        "scale": 2,
        **overrides,
    }


async def new_asset(
    client: httpx.AsyncClient, headers: Headers, program_id: str, **overrides: Any
) -> dict[str, Any]:
    response = await client.post(
        "/v1/assets", json=asset_fields(program_id, **overrides), headers=headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_create_links_to_the_program_and_reads_back(
    client: httpx.AsyncClient, headers: Headers
) -> None:
    program_id = await new_program(client, headers)
    asset = await new_asset(
        client, headers, program_id, symbol="PTS", max_transaction_amount="1000.50"
    )
    assert asset["program_ids"] == [program_id]
    assert asset["status"] == "ACTIVE"
    assert asset["max_transaction_amount"] == "1000.50"
    assert asset["deleted_at"] is None
    assert (asset["inventory_mode"], asset["issuance_policy"], asset["scale"]) == (
        "SIMPLE",
        "UNLIMITED",
        2,
    )
    fetched = await client.get(f"/v1/assets/{asset['id']}", headers=headers)
    assert fetched.status_code == 200
    assert fetched.json() == asset
    linked = await client.get(f"/v1/programs/{program_id}/assets", headers=headers)
    assert [a["id"] for a in linked.json()["data"]] == [asset["id"]]


@pytest.mark.parametrize(
    ("overrides", "field", "reason"),
    [
        ({"name": ""}, "name", "too_short"),
        ({"name": "n" * 256}, "name", "too_long"),
        ({"symbol": ""}, "symbol", "invalid"),
        ({"symbol": "S" * 17}, "symbol", "invalid"),
        ({"symbol": "PT-S"}, "symbol", "invalid"),
        ({"symbol": "PTÅ"}, "symbol", "invalid"),
        ({"symbol": 12}, "symbol", "invalid"),
        ({"inventory_mode": "BULK"}, "inventory_mode", "invalid"),
        ({"issuance_policy": "MAGIC"}, "issuance_policy", "invalid"),
        ({"scale": 19}, "scale", "invalid"),
        ({"scale": -1}, "scale", "invalid"),
        ({"scale": "2"}, "scale", "invalid"),
        ({"scale": True}, "scale", "invalid"),
        ({"max_transaction_amount": "0"}, "max_transaction_amount", "invalid"),
        ({"max_transaction_amount": "-5"}, "max_transaction_amount", "invalid"),
        ({"max_transaction_amount": 100}, "max_transaction_amount", "invalid"),
        ({"max_transaction_amount": "1e3"}, "max_transaction_amount", "invalid"),
        ({"max_transaction_amount": "1.234"}, "max_transaction_amount", "invalid"),  # scale 2
        ({"program_id": str(uuid.uuid4())}, "program_id", "not_found"),
        ({"program_id": "nope"}, "program_id", "invalid"),
        ({"program_id": None}, "program_id", "required"),
        ({"color": "red"}, "color", "invalid"),
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
        "/v1/assets", json=asset_fields(program_id, **overrides), headers=headers
    )
    assert response.status_code == 400, response.text
    problems = [(p["field"], p["reason"]) for p in response.json()["details"]["fields"]]
    assert (field, reason) in problems
    assert await count_rows(db, Asset, org.organization_id) == 0


async def test_every_bad_field_is_listed(client: httpx.AsyncClient, headers: Headers) -> None:
    response = await client.post("/v1/assets", json={"symbol": "!", "scale": 40}, headers=headers)
    assert response.status_code == 400
    fields = {p["field"] for p in response.json()["details"]["fields"]}
    assert fields == {
        "program_id",
        "name",
        "symbol",
        "inventory_mode",
        "issuance_policy",
        "scale",
    }


async def test_limits_are_accepted(client: httpx.AsyncClient, headers: Headers) -> None:
    program_id = await new_program(client, headers)
    asset = await new_asset(
        client,
        headers,
        program_id,
        name="n" * 255,
        symbol="S" * 12 + uuid.uuid4().hex[:4],
        scale=18,
        max_transaction_amount="1" * 30 + "." + "9" * 18,
        inventory_mode="LOT",
        issuance_policy="PREFUNDED",
    )
    assert asset["max_transaction_amount"] == "1" * 30 + "." + "9" * 18
    zero_scale = await new_asset(client, headers, program_id, scale=0, max_transaction_amount="5")
    assert zero_scale["max_transaction_amount"] == "5"


async def test_symbol_is_unique_per_organization_even_under_a_race(
    client: httpx.AsyncClient, headers: Headers, db: Database, org: IssuedKey
) -> None:
    program_id = await new_program(client, headers)
    answers = await asyncio.gather(
        *(
            client.post("/v1/assets", json=asset_fields(program_id, symbol="GEM"), headers=headers)
            for _ in range(8)
        )
    )
    assert sorted(a.status_code for a in answers) == [201] + [409] * 7
    refused = next(a for a in answers if a.status_code == 409).json()
    assert refused["code"] == "conflict"
    assert refused["details"]["fields"][0]["field"] == "symbol"
    assert await count_rows(db, Asset, org.organization_id) == 1
    assert await count_rows(db, ProgramAsset, org.organization_id) == 1
    # Another organization may use the same symbol; a different case is a different symbol.
    other = await issue_key(db, organization_name=f"other-{uuid.uuid4().hex}")
    theirs = await new_program(client, {"X-API-Key": other.key})
    await new_asset(client, {"X-API-Key": other.key}, theirs, symbol="GEM")
    await new_asset(client, headers, program_id, symbol="gem")


async def test_archived_program_takes_no_new_assets(
    client: httpx.AsyncClient, headers: Headers
) -> None:
    program_id = await new_program(client, headers)
    await client.patch(f"/v1/programs/{program_id}", json={"status": "ARCHIVED"}, headers=headers)
    response = await client.post("/v1/assets", json=asset_fields(program_id), headers=headers)
    assert response.status_code == 400
    assert response.json()["details"]["fields"][0]["field"] == "program_id"


async def test_patch_changes_what_may_change(client: httpx.AsyncClient, headers: Headers) -> None:
    program_id = await new_program(client, headers)
    asset = await new_asset(client, headers, program_id, max_transaction_amount="10")
    url = f"/v1/assets/{asset['id']}"
    renamed = (await client.patch(url, json={"name": "Stars"}, headers=headers)).json()
    assert renamed["name"] == "Stars"
    assert renamed["max_transaction_amount"] == "10"  # omitted: unchanged
    assert renamed["updated_at"] >= asset["updated_at"]
    raised = await client.patch(url, json={"max_transaction_amount": "99.5"}, headers=headers)
    assert raised.json()["max_transaction_amount"] == "99.5"
    cleared = await client.patch(url, json={"max_transaction_amount": None}, headers=headers)
    assert cleared.json()["max_transaction_amount"] is None
    assert cleared.json()["name"] == "Stars"


@pytest.mark.parametrize(
    "change",
    [
        {"inventory_mode": "LOT"},
        {"issuance_policy": "PREFUNDED"},
        {"scale": 4},
        {"symbol": "NEW"},
        {"scale": "2"},
        {"scale": None},
        {"program_id": None},
    ],
)
async def test_immutable_fields_are_refused_by_name(
    client: httpx.AsyncClient, headers: Headers, change: dict[str, Any]
) -> None:
    program_id = await new_program(client, headers)
    asset = await new_asset(client, headers, program_id)
    response = await client.patch(
        f"/v1/assets/{asset['id']}", json={"name": "Changed", **change}, headers=headers
    )
    assert response.status_code == 400
    (problem,) = response.json()["details"]["fields"]
    assert problem["field"] == next(iter(change))
    assert "cannot be changed" in problem["message"]
    after = (await client.get(f"/v1/assets/{asset['id']}", headers=headers)).json()
    assert after == asset  # nothing written, not even the name


async def test_immutable_fields_may_repeat_their_stored_values(
    client: httpx.AsyncClient, headers: Headers
) -> None:
    program_id = await new_program(client, headers)
    asset = await new_asset(client, headers, program_id)
    unchanged = {k: asset[k] for k in ("symbol", "inventory_mode", "issuance_policy", "scale")}
    response = await client.patch(
        f"/v1/assets/{asset['id']}", json={**unchanged, "name": "Renamed"}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Renamed"


async def test_patch_amount_is_held_to_the_stored_scale(
    client: httpx.AsyncClient, headers: Headers
) -> None:
    program_id = await new_program(client, headers)
    asset = await new_asset(client, headers, program_id, scale=0)
    response = await client.patch(
        f"/v1/assets/{asset['id']}", json={"max_transaction_amount": "1.5"}, headers=headers
    )
    assert response.status_code == 400
    assert response.json()["details"]["fields"][0]["field"] == "max_transaction_amount"


async def test_archive_is_one_way(client: httpx.AsyncClient, headers: Headers) -> None:
    program_id = await new_program(client, headers)
    asset = await new_asset(client, headers, program_id)
    url = f"/v1/assets/{asset['id']}"
    archived = (await client.patch(url, json={"status": "ARCHIVED"}, headers=headers)).json()
    assert archived["status"] == "ARCHIVED"
    assert archived["deleted_at"] is not None
    again = (await client.patch(url, json={"status": "ARCHIVED"}, headers=headers)).json()
    assert again == archived  # archiving again changes nothing, not even updated_at
    back = await client.patch(url, json={"status": "ACTIVE"}, headers=headers)
    assert back.status_code == 400
    assert back.json()["details"]["fields"][0]["field"] == "status"
    other_program = await new_program(client, headers)
    link = await client.post(
        f"/v1/programs/{other_program}/assets", json={"asset_id": asset["id"]}, headers=headers
    )
    assert link.status_code == 400
    assert link.json()["details"]["fields"][0]["field"] == "asset_id"


async def test_link_to_more_programs(client: httpx.AsyncClient, headers: Headers) -> None:
    first, second = await new_program(client, headers), await new_program(client, headers)
    asset = await new_asset(client, headers, first)
    url = f"/v1/programs/{second}/assets"
    linked = await client.post(url, json={"asset_id": asset["id"]}, headers=headers)
    assert linked.status_code == 201
    assert linked.json()["program_ids"] == [first, second]
    again = await client.post(url, json={"asset_id": asset["id"]}, headers=headers)
    assert again.status_code == 409
    assert again.json()["code"] == "conflict"
    unknown = await client.post(url, json={"asset_id": str(uuid.uuid4())}, headers=headers)
    assert unknown.status_code == 400
    assert unknown.json()["details"]["fields"][0]["reason"] == "not_found"
    missing_program = await client.post(
        f"/v1/programs/{uuid.uuid4()}/assets", json={"asset_id": asset["id"]}, headers=headers
    )
    assert missing_program.status_code == 404
    await client.patch(f"/v1/programs/{second}", json={"status": "ARCHIVED"}, headers=headers)
    third = await new_asset(client, headers, first)
    archived = await client.post(url, json={"asset_id": third["id"]}, headers=headers)
    assert archived.status_code == 409
    assert archived.json()["code"] == "program_archived"
    listed = await client.get("/v1/assets", params={"program_id": second}, headers=headers)
    assert [a["id"] for a in listed.json()["data"]] == [asset["id"]]


async def test_list_pages_filters_and_searches(client: httpx.AsyncClient, headers: Headers) -> None:
    program_id = await new_program(client, headers)
    made = [
        await new_asset(
            client, headers, program_id, name=f"Asset {i}", symbol=f"Z{i}X{uuid.uuid4().hex[:6]}"
        )
        for i in range(5)
    ]
    await client.patch(f"/v1/assets/{made[0]['id']}", json={"status": "ARCHIVED"}, headers=headers)
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, "program_id": program_id}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/v1/assets", params=params, headers=headers)).json()
        seen += [a["id"] for a in page["data"]]
        cursor = page["pagination"]["next_cursor"]
        assert page["pagination"]["has_more"] is (cursor is not None)
        if cursor is None:
            break
    assert seen == [a["id"] for a in reversed(made)]  # newest first, each once
    active = await client.get(
        "/v1/assets", params={"program_id": program_id, "status": "ACTIVE"}, headers=headers
    )
    assert len(active.json()["data"]) == 4
    by_name = await client.get("/v1/assets", params={"search": "asset 3"}, headers=headers)
    assert [a["id"] for a in by_name.json()["data"]] == [made[3]["id"]]
    by_symbol = await client.get(
        "/v1/assets", params={"search": made[2]["symbol"].lower()}, headers=headers
    )
    assert [a["id"] for a in by_symbol.json()["data"]] == [made[2]["id"]]


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 201}, {"cursor": "junk"}, {"status": "GONE"}, {"program_id": "x"}],
)
async def test_bad_list_parameters(
    client: httpx.AsyncClient, headers: Headers, params: dict[str, Any]
) -> None:
    response = await client.get("/v1/assets", params=params, headers=headers)
    assert response.status_code == 400
    assert response.json()["details"]["fields"][0]["field"] == next(iter(params))


async def test_other_organizations_assets_are_unknown(
    client: httpx.AsyncClient, headers: Headers, db: Database
) -> None:
    other = {"X-API-Key": (await issue_key(db, organization_name=f"o-{uuid.uuid4().hex}")).key}
    their_program = await new_program(client, other)
    theirs = await new_asset(client, other, their_program)
    url = f"/v1/assets/{theirs['id']}"
    assert (await client.get(url, headers=headers)).status_code == 404
    assert (await client.patch(url, json={"name": "x"}, headers=headers)).status_code == 404
    for missing in (str(uuid.uuid4()), "not-a-uuid"):
        assert (await client.get(f"/v1/assets/{missing}", headers=headers)).status_code == 404
    mine = await new_program(client, headers)
    link = await client.post(
        f"/v1/programs/{mine}/assets", json={"asset_id": theirs["id"]}, headers=headers
    )
    assert link.status_code == 400  # their asset is unknown here
    into_theirs = await client.post(
        f"/v1/programs/{their_program}/assets", json={"asset_id": theirs["id"]}, headers=headers
    )
    assert into_theirs.status_code == 404
    foreign = await client.post("/v1/assets", json=asset_fields(their_program), headers=headers)
    assert foreign.status_code == 400
    listed = (await client.get("/v1/assets", headers=headers)).json()["data"]
    assert theirs["id"] not in [a["id"] for a in listed]
    listed_theirs = await client.get(f"/v1/programs/{their_program}/assets", headers=headers)
    assert listed_theirs.status_code == 404
    assert (await client.get(url, headers=other)).json() == theirs
