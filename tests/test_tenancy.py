"""Tenancy (issue 5): no response ever carries another organization's data, on any route or query.

Organization A gets participants with state (program, asset, balance, counter, tier) whose ids and
values are distinctive; organization B then calls every route and query it can, including with
A's ids, external ids, cursors and search terms. Nothing of A may appear in any answer.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from app.core.db import Database
from app.models import Program
from app.services.auth import IssuedKey, issue_key
from tests.graphql.test_participants import seed_state
from tests.helpers import graphql

SECRET = "tenant-a-secret"

EVERYTHING = """
query Everything($id: UUID, $ext: String, $after: String, $search: String) {
  byId: participant(id: $id) { id externalId email attributes tags programIds
    programs { id name } balances { available held asset { id symbol name } }
    counters { key value } tiers { key level rank programId } }
  byExternalId: participant(externalId: $ext) { id }
  page: participants(first: 200, after: $after) {
    edges { cursor node { id externalId email } } pageInfo { endCursor hasNextPage } }
  searched: participants(filter: {search: $search}) { edges { node { id } } }
  exact: participants(filter: {externalId: $ext}) { edges { node { id } } }
}
"""


async def _organization_a(
    client: httpx.AsyncClient, db: Database
) -> tuple[list[str], dict[str, Any]]:
    """A's participants, with state; the strings that must never leak, and handles to try."""
    a = await issue_key(db, organization_name=f"a-{uuid.uuid4().hex}")
    headers = {"X-API-Key": a.key}
    leaks: list[str] = [SECRET]  # in A's emails, attributes and tags; never sent by B
    first: dict[str, Any] = {}
    for i in range(3):
        body = {
            "external_id": f"a-ext-{i}",
            "email": f"{SECRET}{i}@example.com",
            "attributes": {"secret": SECRET},
            "tags": [SECRET],
        }
        created = (await client.post("/v1/participants", json=body, headers=headers)).json()
        await seed_state(db, a.organization_id, uuid.UUID(created["id"]))
        leaks.append(created["id"])
        first = first or created
    detail = (await client.get(f"/v1/participants/{first['id']}", headers=headers)).json()
    leaks += list(detail["program_ids"])
    leaks += [b["asset_id"] for b in detail["balances"]]
    page = (await client.get("/v1/participants", params={"limit": 1}, headers=headers)).json()
    handles = {
        "id": first["id"],
        "external_id": first["external_id"],
        "program_id": detail["program_ids"][0],
        "cursor": page["pagination"]["next_cursor"],
    }
    return leaks, handles


async def test_nothing_of_another_organization_ever_shows(
    client: httpx.AsyncClient, db: Database, org: IssuedKey, headers: dict[str, str]
) -> None:
    leaks, a = await _organization_a(client, db)
    # B has data of its own, so empty answers are not what makes this pass.
    mine = await client.post(
        "/v1/participants", json={"external_id": "b-own", "tags": ["b"]}, headers=headers
    )
    assert mine.status_code == 201
    async with db.transaction() as session:
        session.add(Program(organization_id=org.organization_id, name="B's program"))

    responses: list[httpx.Response] = [
        await client.get(f"/v1/participants/{a['id']}", headers=headers),
        await client.get("/v1/participants", headers=headers),
        await client.get("/v1/participants", params={"limit": 200}, headers=headers),
        await client.get(
            "/v1/participants", params={"external_id": a["external_id"]}, headers=headers
        ),
        await client.get("/v1/participants", params={"search": SECRET}, headers=headers),
        await client.get(
            "/v1/participants", params={"program_id": a["program_id"]}, headers=headers
        ),
        await client.get("/v1/participants", params={"cursor": a["cursor"]}, headers=headers),
        await client.post(
            "/v1/participants",
            json={"external_id": a["external_id"], "program_id": a["program_id"]},
            headers=headers,
        ),
        # the same external id is B's own participant, never A's
        await client.post(
            "/v1/participants", json={"external_id": a["external_id"]}, headers=headers
        ),
    ]
    for response in responses:
        for leak in leaks:
            if leak == a["external_id"] and response.request.method == "POST":
                continue  # B just used that string as its own external id
            assert leak not in response.text, (response.request.url, leak, response.text[:300])

    variables = {
        "id": a["id"],
        "ext": a["external_id"],
        "after": a["cursor"],
        "search": SECRET,
    }
    body = await graphql(client, EVERYTHING, variables, headers=headers)
    text = str(body)
    assert body["data"]["byId"] is None
    for leak in leaks:
        if leak in (a["external_id"], SECRET) and leak in str(variables):
            assert body["data"]["searched"]["edges"] == [] or leak not in str(
                body["data"]["searched"]
            )
            continue
        assert leak not in text, leak
    for edge in body["data"]["page"]["edges"] or []:
        assert SECRET not in str(edge)
