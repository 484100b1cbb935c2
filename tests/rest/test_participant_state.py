"""`…/state/counters` and `…/state/tiers` (issue 7): absolute sets, lazy auto-reset under a
frozen clock, tier levels checked against the definition, history."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from typing import Any

import httpx
import pytest

from tests.conftest import Clock
from tests.rest.test_assets import new_program
from tests.rest.test_participant_writes import history, new_participant
from tests.rest.test_tiers import new_tier

Headers = dict[str, str]


async def test_counters_set_read_remove(client: httpx.AsyncClient, headers: Headers) -> None:
    p = await new_participant(client, headers)
    base = f"/v1/participants/{p['id']}/state/counters"
    assert (await client.get(f"{base}/visits", headers=headers)).status_code == 404
    put = await client.put(
        f"{base}/visits", json={"value": "42", "reset_after": "720h"}, headers=headers
    )
    assert put.status_code == 200, put.text
    body = put.json()
    assert (body["key"], body["value"], body["reset_after"]) == ("visits", "42", "720h")
    assert body["last_reset_at"] is not None
    kept = await client.put(f"{base}/visits", json={"value": "-1.5"}, headers=headers)
    assert (kept.json()["value"], kept.json()["reset_after"]) == ("-1.5", "720h")  # omitted: kept
    dropped = await client.put(
        f"{base}/visits", json={"value": "0", "reset_after": ""}, headers=headers
    )
    assert dropped.json()["reset_after"] is None
    await client.put(f"{base}/spend", json={"value": "10.25"}, headers=headers)
    listed = (await client.get(base, headers=headers)).json()["data"]
    assert [(c["key"], c["value"]) for c in listed] == [("spend", "10.25"), ("visits", "0")]
    detail = (await client.get(f"/v1/participants/{p['id']}", headers=headers)).json()
    assert detail["counters"] == {"spend": "10.25", "visits": "0"}
    assert (await client.delete(f"{base}/spend", headers=headers)).status_code == 204
    assert (await client.delete(f"{base}/spend", headers=headers)).status_code == 204
    assert (await client.get(f"{base}/spend", headers=headers)).status_code == 404
    entries = await history(client, headers, p["id"], state_type="counter")
    assert [
        (e["key"], e["operation"], e["old_value"], e["new_value"]) for e in reversed(entries)
    ] == [
        ("visits", "set", None, "42"),
        ("visits", "set", "42", "-1.5"),
        ("visits", "set", "-1.5", "0"),
        ("spend", "set", None, "10.25"),
        ("spend", "delete", "10.25", None),
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"value": 42}, "value"),
        ({"value": "4 2"}, "value"),
        ({"value": "1e5"}, "value"),
        ({"value": ""}, "value"),
        ({}, "value"),
        ({"value": "1", "reset_after": "30d"}, "reset_after"),
        ({"value": "1", "reset_after": "0h"}, "reset_after"),
        ({"value": "1", "reset_after": "h"}, "reset_after"),
        ({"value": "1", "reset_after": 720}, "reset_after"),
        ({"value": "1", "reset_after": "1" * 33 + "h"}, "reset_after"),
        ({"value": "1", "step": "1"}, "step"),
    ],
)
async def test_bad_counter_input_writes_nothing(
    client: httpx.AsyncClient, headers: Headers, body: dict[str, Any], field: str
) -> None:
    p = await new_participant(client, headers)
    url = f"/v1/participants/{p['id']}/state/counters/c"
    response = await client.put(url, json=body, headers=headers)
    assert response.status_code == 400, response.text
    assert field in [f["field"] for f in response.json()["details"]["fields"]]
    assert (await client.get(url, headers=headers)).status_code == 404
    assert await history(client, headers, p["id"]) == []


async def test_counter_keys_are_checked(client: httpx.AsyncClient, headers: Headers) -> None:
    p = await new_participant(client, headers)
    base = f"/v1/participants/{p['id']}/state/counters"
    too_long = await client.put(f"{base}/{'k' * 256}", json={"value": "1"}, headers=headers)
    assert too_long.status_code == 400
    assert too_long.json()["details"]["fields"][0]["field"] == "key"
    control = await client.put(f"{base}/a%01b", json={"value": "1"}, headers=headers)
    assert control.status_code == 400
    assert (await client.get(f"{base}/a%00b", headers=headers)).status_code == 404
    assert (await client.delete(f"{base}/a%00b", headers=headers)).status_code == 204


async def test_auto_reset_is_lazy(
    client: httpx.AsyncClient, headers: Headers, clock: Clock
) -> None:
    p = await new_participant(client, headers)
    url = f"/v1/participants/{p['id']}/state/counters/visits"
    await client.put(url, json={"value": "7", "reset_after": "24h"}, headers=headers)
    clock.advance(hours=23, minutes=59)
    assert (await client.get(url, headers=headers)).json()["value"] == "7"
    clock.advance(minutes=1)  # the period has run out: reads say 0, nothing is written
    assert (await client.get(url, headers=headers)).json()["value"] == "0"
    detail = (await client.get(f"/v1/participants/{p['id']}", headers=headers)).json()
    assert detail["counters"] == {"visits": "0"}
    assert len(await history(client, headers, p["id"])) == 1
    written = await client.put(url, json={"value": "1"}, headers=headers)
    assert written.json()["value"] == "1"
    entries = await history(client, headers, p["id"])
    assert [(e["operation"], e["old_value"], e["new_value"]) for e in entries[:2]] == [
        ("set", "0", "1"),
        ("auto_reset", "7", "0"),
    ]
    clock.advance(hours=23)  # the write started a new period
    assert (await client.get(url, headers=headers)).json()["value"] == "1"
    clock.advance(hours=1)
    assert (await client.get(url, headers=headers)).json()["value"] == "0"


async def enrolled(client: httpx.AsyncClient, headers: Headers) -> tuple[str, str]:
    """A program with the `status` tier (silver 1, gold 2) and a participant enrolled in it."""
    program_id = await new_program(client, headers)
    await new_tier(client, headers, program_id)
    p = await new_participant(client, headers, program_id=program_id)
    return program_id, p["id"]


async def test_tier_levels(client: httpx.AsyncClient, headers: Headers, clock: Clock) -> None:
    program_id, pid = await enrolled(client, headers)
    base = f"/v1/participants/{pid}/state/tiers"
    query = {"program_id": program_id}
    assert (await client.get(f"{base}/status", params=query, headers=headers)).status_code == 404
    expires = "2099-01-01T00:00:00Z"
    put = await client.put(
        f"{base}/status",
        params=query,
        json={"level": "gold", "expires_at": expires},
        headers=headers,
    )
    assert put.status_code == 200, put.text
    gold = put.json()
    assert (gold["key"], gold["level"], gold["rank"], gold["display_name"]) == (
        "status",
        "gold",
        2,
        "Gold",
    )
    assert gold["benefits"] == {"lounge": True}
    assert gold["expires_at"] == "2099-01-01T00:00:00.000000Z"
    acquired = gold["acquired_at"]
    clock.advance(hours=1)
    same = await client.put(f"{base}/status", params=query, json={"level": "gold"}, headers=headers)
    assert same.json()["acquired_at"] == acquired  # the same level: still held since then
    assert same.json()["expires_at"] is None
    listed = (await client.get(base, params=query, headers=headers)).json()["data"]
    assert [(t["key"], t["level"]) for t in listed] == [("status", "gold")]
    detail = (await client.get(f"/v1/participants/{pid}", headers=headers)).json()
    assert detail["tiers"] == {"status": {"level": "gold", "rank": 2}}
    silver = await client.put(
        f"{base}/status", params=query, json={"level": "silver"}, headers=headers
    )
    assert silver.json()["rank"] == 1
    assert (await client.delete(f"{base}/status", params=query, headers=headers)).status_code == 204
    assert (await client.delete(f"{base}/status", params=query, headers=headers)).status_code == 204
    assert (await client.get(f"{base}/status", params=query, headers=headers)).status_code == 404
    entries = await history(client, headers, pid, state_type="tier")
    assert [
        (e["operation"], e["old_value"], e["new_value"], e["program_id"]) for e in reversed(entries)
    ] == [
        ("set", None, "gold", program_id),
        ("set", "gold", "silver", program_id),
        ("delete", "silver", None, program_id),
    ]


async def test_tier_level_refusals(client: httpx.AsyncClient, headers: Headers) -> None:
    program_id, pid = await enrolled(client, headers)
    base = f"/v1/participants/{pid}/state/tiers"
    query = {"program_id": program_id}

    async def put(
        key: str = "status", params: dict[str, str] = query, **body: Any
    ) -> httpx.Response:
        return await client.put(
            f"{base}/{key}", params=params, json=body or {"level": "gold"}, headers=headers
        )

    assert (
        await client.put(f"{base}/status", json={"level": "gold"}, headers=headers)
    ).status_code == 400
    assert (await put(params={"program_id": "nope"})).status_code == 400
    assert (await put(params={"program_id": str(uuid.uuid4())})).status_code == 404
    assert (await put(key="nope")).status_code == 404
    missing_level = await put(level="bronze")
    assert missing_level.status_code == 404
    assert "bronze" in missing_level.json()["message"]
    for body in (
        {"level": ""},
        {"level": 1},
        {"level": "gold", "expires_at": "soon"},
        {"level": "gold", "expires_at": "2000-01-01T00:00:00Z"},
        {"level": "gold", "x": 1},
    ):
        assert (await put(**body)).status_code == 400, body

    outsider = await new_participant(client, headers)
    not_enrolled = await client.put(
        f"/v1/participants/{outsider['id']}/state/tiers/status",
        params=query,
        json={"level": "gold"},
        headers=headers,
    )
    assert (not_enrolled.status_code, not_enrolled.json()["code"]) == (409, "participant_inactive")
    assert "not enrolled" in not_enrolled.json()["message"]

    await client.patch(
        f"/v1/participants/{pid}/status", json={"status": "SUSPENDED"}, headers=headers
    )
    inactive = await put()
    assert (inactive.status_code, inactive.json()["code"]) == (409, "participant_inactive")
    removal = await client.delete(f"{base}/status", params=query, headers=headers)
    assert removal.status_code == 409
    await client.patch(f"/v1/participants/{pid}/status", json={"status": "ACTIVE"}, headers=headers)

    await client.patch(f"/v1/programs/{program_id}", json={"status": "SUSPENDED"}, headers=headers)
    suspended = await put()
    assert (suspended.status_code, suspended.json()["code"]) == (409, "participant_inactive")
    assert suspended.json()["message"] == "the program is SUSPENDED"
    await client.patch(f"/v1/programs/{program_id}", json={"status": "ACTIVE"}, headers=headers)

    await client.post(f"/v1/programs/{program_id}/tiers/status/archive", headers=headers)
    archived = await put()
    assert (archived.status_code, archived.json()["code"]) == (409, "tier_archived")
    assert await history(client, headers, pid) == []


async def test_history_follows_the_order_writes_were_applied(
    client: httpx.AsyncClient, headers: Headers
) -> None:
    p = await new_participant(client, headers)
    url = f"/v1/participants/{p['id']}/state/counters/c"
    await asyncio.gather(
        *(client.put(url, json={"value": str(i)}, headers=headers) for i in range(12))
    )
    final = (await client.get(url, headers=headers)).json()["value"]
    entries = list(reversed(await history(client, headers, p["id"], limit=100)))
    assert len(entries) == 12
    for earlier, later in itertools.pairwise(entries):
        assert later["old_value"] == earlier["new_value"]
    assert entries[-1]["new_value"] == final


async def test_keys_with_slashes_round_trip(client: httpx.AsyncClient, headers: Headers) -> None:
    p = await new_participant(client, headers, tags=["a/b"], attributes={"x/y": "1"})
    base = f"/v1/participants/{p['id']}/state"
    assert (
        await client.put(f"{base}/counters/c%2Fd", json={"value": "1"}, headers=headers)
    ).json()["key"] == "c/d"
    for url in (f"{base}/tags/a%2Fb", f"{base}/attributes/x%2Fy", f"{base}/counters/c%2Fd"):
        assert (await client.delete(url, headers=headers)).status_code == 204
    detail = (await client.get(f"/v1/participants/{p['id']}", headers=headers)).json()
    assert (detail["tags"], detail["attributes"], detail["counters"]) == ([], {}, {})


async def test_times_out_of_range_are_refused(client: httpx.AsyncClient, headers: Headers) -> None:
    program_id, pid = await enrolled(client, headers)
    for moment in ("9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59"):
        listed = await client.get(
            f"/v1/participants/{pid}/activity/state-history",
            params={"from": moment},
            headers=headers,
        )
        assert listed.status_code == 400, moment
        put = await client.put(
            f"/v1/participants/{pid}/state/tiers/status",
            params={"program_id": program_id},
            json={"level": "gold", "expires_at": moment},
            headers=headers,
        )
        assert put.status_code == 400, moment
    events = await client.get(
        f"/v1/participants/{pid}/activity/state-history",
        params={"event_from": "2020-01-01T00:00:00Z"},
        headers=headers,
    )
    assert events.json()["data"] == []
    unknown = await client.get(
        f"/v1/participants/{pid}/state/tiers",
        params={"program_id": str(uuid.uuid4())},
        headers=headers,
    )
    assert unknown.status_code == 404


async def test_upserts_are_in_the_history(client: httpx.AsyncClient, headers: Headers) -> None:
    p = await new_participant(client, headers, tags=["a"], attributes={"k": "1"})
    assert await history(client, headers, p["id"]) == []  # a creation is not a change
    again = await client.post(
        "/v1/participants",
        json={"external_id": p["external_id"], "tags": ["b"], "attributes": {"k": "2"}},
        headers=headers,
    )
    assert again.status_code == 200
    entries = await history(client, headers, p["id"])
    assert {(e["state_type"], e["key"], e["operation"]) for e in entries} == {
        ("tag", "a", "remove"),
        ("tag", "b", "add"),
        ("attribute", "k", "set"),
    }


async def test_removing_an_expired_counter_records_its_reset(
    client: httpx.AsyncClient, headers: Headers, clock: Clock
) -> None:
    p = await new_participant(client, headers)
    url = f"/v1/participants/{p['id']}/state/counters/c"
    await client.put(url, json={"value": "-0", "reset_after": "1h"}, headers=headers)
    assert (await client.get(url, headers=headers)).json()["value"] == "0"
    await client.put(url, json={"value": "5"}, headers=headers)
    clock.advance(hours=2)
    assert (await client.delete(url, headers=headers)).status_code == 204
    entries = await history(client, headers, p["id"])
    assert [(e["operation"], e["old_value"], e["new_value"]) for e in entries[:2]] == [
        ("delete", "0", None),
        ("auto_reset", "5", "0"),
    ]
