"""`PATCH /v1/participants/{id}`, `…/status`, `…/state/tags` and `…/state/attributes` (issue 7):
what changes, what is refused (and then nothing changes), history, tenancy, concurrency."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from app.core.db import Database
from app.services.auth import IssuedKey, issue_key

Headers = dict[str, str]


async def new_participant(
    client: httpx.AsyncClient, headers: Headers, **body: Any
) -> dict[str, Any]:
    response = await client.post(
        "/v1/participants",
        json={"external_id": f"p-{uuid.uuid4().hex[:10]}", **body},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def history(
    client: httpx.AsyncClient, headers: Headers, participant_id: str, **params: Any
) -> list[dict[str, Any]]:
    response = await client.get(
        f"/v1/participants/{participant_id}/activity/state-history", params=params, headers=headers
    )
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["data"]
    return entries


async def test_patch_changes_what_is_given(
    client: httpx.AsyncClient, headers: Headers, org: IssuedKey
) -> None:
    p = await new_participant(
        client,
        headers,
        email="a@example.com",
        phone="1",
        attributes={"plan": "free", "x": "1"},
        tags=["a"],
    )
    url = f"/v1/participants/{p['id']}"
    patched = await client.patch(
        url,
        json={
            "external_id": "renamed",
            "email": "",
            "first_name": "Ada",
            "attributes": {"plan": "pro", "new": "yes"},
            "tags": ["B", "c"],
        },
        headers=headers,
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["external_id"] == "renamed"
    assert body["email"] is None  # "" clears
    assert body["phone"] == "1"  # left out: unchanged
    assert body["first_name"] == "Ada"
    assert body["attributes"] == {"plan": "pro", "x": "1", "new": "yes"}
    assert body["tags"] == ["b", "c"]
    assert body["updated_at"] > p["updated_at"]
    assert (await client.get(url, headers=headers)).json() == body
    entries = await history(client, headers, p["id"])
    changes = {
        (e["state_type"], e["key"], e["operation"], e["old_value"], e["new_value"]) for e in entries
    }
    assert changes == {
        ("attribute", "plan", "set", "free", "pro"),
        ("attribute", "new", "set", None, "yes"),
        ("tag", "a", "remove", None, None),
        ("tag", "b", "add", None, None),
        ("tag", "c", "add", None, None),
    }
    assert {e["changed_by_api_key_id"] for e in entries} == {str(org.api_key_id)}


async def test_patch_refusals_change_nothing(client: httpx.AsyncClient, headers: Headers) -> None:
    taken = await new_participant(client, headers)
    p = await new_participant(client, headers, attributes={"k": "v"})
    url = f"/v1/participants/{p['id']}"
    clash = await client.patch(
        url, json={"external_id": taken["external_id"], "first_name": "X"}, headers=headers
    )
    assert clash.status_code == 409
    assert clash.json()["code"] == "conflict"
    assert clash.json()["details"]["fields"][0]["field"] == "external_id"
    refused: list[tuple[dict[str, Any], str]] = [
        ({"status": "CLOSED"}, "status"),
        ({"email": "not-an-email"}, "email"),
        ({"tags": [""]}, "tags[0]"),
        ({"attributes": {"k": 5}}, "attributes.k"),
        ({"external_id": ""}, "external_id"),
        ({"balances": []}, "balances"),
        ({"attributes": {f"k{i}": "v" for i in range(100)}}, "attributes"),  # 101 with "k"
    ]
    for body, field in refused:
        response = await client.patch(url, json={"first_name": "X", **body}, headers=headers)
        assert response.status_code == 400, (body, response.text)
        assert field in [f["field"] for f in response.json()["details"]["fields"]], response.text
    assert (await client.get(url, headers=headers)).json() == p
    assert await history(client, headers, p["id"]) == []
    same = await client.patch(url, json={"external_id": p["external_id"]}, headers=headers)
    assert same.status_code == 200


async def test_status(client: httpx.AsyncClient, headers: Headers) -> None:
    p = await new_participant(client, headers)
    url = f"/v1/participants/{p['id']}/status"
    for status in ("SUSPENDED", "CLOSED", "ACTIVE"):
        response = await client.patch(url, json={"status": status}, headers=headers)
        assert response.status_code == 200
        assert response.json()["status"] == status
    for bad in ({}, {"status": "GONE"}, {"status": None}, {"status": "ACTIVE", "x": 1}):
        assert (await client.patch(url, json=bad, headers=headers)).status_code == 400


async def test_tags(client: httpx.AsyncClient, headers: Headers) -> None:
    p = await new_participant(client, headers, tags=["old"])
    base = f"/v1/participants/{p['id']}/state/tags"
    assert (await client.get(base, headers=headers)).json() == {
        "data": [{"tag": "old"}],
        "pagination": {"has_more": False, "next_cursor": None},
    }
    replaced = await client.put(base, json={"tags": ["VIP", "vip", "Beta"]}, headers=headers)
    assert replaced.json() == {"tags": ["vip", "beta"]}
    added = await client.put(f"{base}/Gold", headers=headers)
    assert (added.status_code, added.json()) == (201, {"tag": "gold"})
    again = await client.put(f"{base}/GOLD", headers=headers)
    assert (again.status_code, again.json()) == (200, {"tag": "gold"})
    assert (await client.delete(f"{base}/beta", headers=headers)).status_code == 204
    assert (await client.delete(f"{base}/absent", headers=headers)).status_code == 204
    tags = [item["tag"] for item in (await client.get(base, headers=headers)).json()["data"]]
    assert tags == ["vip", "gold"]
    entries = await history(client, headers, p["id"], state_type="tag")
    assert [(e["key"], e["operation"]) for e in reversed(entries)] == [
        ("old", "remove"),
        ("vip", "add"),
        ("beta", "add"),
        ("gold", "add"),
        ("beta", "remove"),
    ]
    assert (await client.put(base, json={"tags": "vip"}, headers=headers)).status_code == 400
    assert (await client.put(base, json={}, headers=headers)).status_code == 400
    assert (await client.put(f"{base}/{'t' * 256}", headers=headers)).status_code == 400


async def test_a_hundred_tags_at_most(client: httpx.AsyncClient, headers: Headers) -> None:
    p = await new_participant(client, headers, tags=[f"t{i}" for i in range(100)])
    full = await client.put(f"/v1/participants/{p['id']}/state/tags/one-more", headers=headers)
    assert full.status_code == 400
    assert full.json()["details"]["fields"][0]["reason"] == "too_many"
    present = await client.put(f"/v1/participants/{p['id']}/state/tags/t5", headers=headers)
    assert present.status_code == 200


async def test_attributes(client: httpx.AsyncClient, headers: Headers) -> None:
    p = await new_participant(client, headers, attributes={"b": "2"})
    base = f"/v1/participants/{p['id']}/state/attributes"
    merged = await client.patch(base, json={"attributes": {"a": "1", "b": "3"}}, headers=headers)
    assert merged.json() == {"attributes": {"a": "1", "b": "3"}}
    put = await client.put(f"{base}/c", json={"value": "x"}, headers=headers)
    assert put.json() == {"key": "c", "value": "x"}
    assert (await client.delete(f"{base}/a", headers=headers)).status_code == 204
    assert (await client.delete(f"{base}/a", headers=headers)).status_code == 204
    listed = (await client.get(base, headers=headers)).json()["data"]
    assert listed == [{"key": "b", "value": "3"}, {"key": "c", "value": "x"}]
    for bad in ({"value": ""}, {}, {"value": 1}, {"value": "v" * 1001}, {"value": "x", "other": 1}):
        assert (await client.put(f"{base}/c", json=bad, headers=headers)).status_code == 400
    assert (
        await client.put(f"{base}/{'k' * 101}", json={"value": "x"}, headers=headers)
    ).status_code == 400
    assert (await client.patch(base, json={"attributes": []}, headers=headers)).status_code == 400
    entries = await history(client, headers, p["id"], state_type="attribute")
    assert [
        (e["key"], e["operation"], e["old_value"], e["new_value"]) for e in reversed(entries)
    ] == [
        ("a", "set", None, "1"),
        ("b", "set", "2", "3"),
        ("c", "set", None, "x"),
        ("a", "delete", "1", None),
    ]


async def test_unknown_and_foreign_participants_are_404(
    client: httpx.AsyncClient, headers: Headers, db: Database
) -> None:
    other = {"X-API-Key": (await issue_key(db, organization_name=f"o-{uuid.uuid4().hex}")).key}
    theirs = await new_participant(client, other, tags=["keep"], attributes={"k": "v"})
    for pid in (theirs["id"], str(uuid.uuid4()), "not-a-uuid"):
        base = f"/v1/participants/{pid}"
        calls = [
            client.patch(base, json={"first_name": "x"}, headers=headers),
            client.patch(f"{base}/status", json={"status": "CLOSED"}, headers=headers),
            client.get(f"{base}/state/tags", headers=headers),
            client.put(f"{base}/state/tags", json={"tags": []}, headers=headers),
            client.put(f"{base}/state/tags/x", headers=headers),
            client.delete(f"{base}/state/tags/keep", headers=headers),
            client.get(f"{base}/state/attributes", headers=headers),
            client.patch(f"{base}/state/attributes", json={"attributes": {}}, headers=headers),
            client.put(f"{base}/state/attributes/k", json={"value": "x"}, headers=headers),
            client.delete(f"{base}/state/attributes/k", headers=headers),
            client.get(f"{base}/activity/state-history", headers=headers),
        ]
        for response in await asyncio.gather(*calls):
            assert response.status_code == 404, (response.request.url, response.text)
    untouched = (await client.get(f"/v1/participants/{theirs['id']}", headers=other)).json()
    assert untouched == theirs


@pytest.mark.parametrize("writers", [12])
async def test_concurrent_writers_lose_nothing(
    client: httpx.AsyncClient, headers: Headers, writers: int
) -> None:
    p = await new_participant(client, headers)
    base = f"/v1/participants/{p['id']}/state"
    answers = await asyncio.gather(
        *(
            client.patch(
                f"{base}/attributes", json={"attributes": {f"k{i}": str(i)}}, headers=headers
            )
            for i in range(writers)
        ),
        *(client.put(f"{base}/tags/t{i}", headers=headers) for i in range(writers)),
        *(
            client.patch(
                f"/v1/participants/{p['id']}", json={"attributes": {f"m{i}": "x"}}, headers=headers
            )
            for i in range(writers)
        ),
    )
    assert all(a.status_code in (200, 201) for a in answers), [
        a.text for a in answers if a.status_code >= 300
    ]
    final = (await client.get(f"/v1/participants/{p['id']}", headers=headers)).json()
    assert final["attributes"] == {
        **{f"k{i}": str(i) for i in range(writers)},
        **{f"m{i}": "x" for i in range(writers)},
    }
    assert sorted(final["tags"]) == sorted(f"t{i}" for i in range(writers))
    entries = await history(client, headers, p["id"], limit=100)
    assert len(entries) == 3 * writers


async def test_history_pages_and_filters(client: httpx.AsyncClient, headers: Headers) -> None:
    p = await new_participant(client, headers)
    base = f"/v1/participants/{p['id']}"
    for i in range(5):
        await client.put(f"{base}/state/tags/t{i}", headers=headers)
        await client.put(f"{base}/state/attributes/a{i}", json={"value": str(i)}, headers=headers)
    seen, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (
            await client.get(f"{base}/activity/state-history", params=params, headers=headers)
        ).json()
        seen += page["data"]
        cursor = page["pagination"]["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 10
    assert len({e["id"] for e in seen}) == 10
    times = [e["changed_at"] for e in seen]
    assert times == sorted(times, reverse=True)
    only = await history(client, headers, p["id"], state_type="attribute", key="a3")
    assert [(e["key"], e["new_value"]) for e in only] == [("a3", "3")]
    adds = await history(client, headers, p["id"], operation="add")
    assert len(adds) == 5
    late = await history(client, headers, p["id"], **{"from": seen[0]["changed_at"]})
    assert seen[0]["id"] in [e["id"] for e in late]
    for bad in (
        {"limit": 101},
        {"limit": 0},
        {"state_type": "balance"},
        {"cursor": "x"},
        {"from": "yesterday"},
        {"sort": "x"},
    ):
        response = await client.get(f"{base}/activity/state-history", params=bad, headers=headers)
        assert response.status_code == 400, bad
