"""Program queries and mutations over GraphQL (issue 6): they mirror REST."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from app.core.db import Database
from app.services.auth import issue_key
from tests.helpers import graphql

FIELDS = "id name description status onUnknownParticipant deletedAt createdAt updatedAt"
CREATE = f"""
mutation($input: CreateProgramInput!) {{
  createProgram(input: $input) {{ program {{ {FIELDS} }} userErrors {{ field code message }} }}
}}"""
UPDATE = f"""
mutation($input: UpdateProgramInput!) {{
  updateProgram(input: $input) {{ program {{ {FIELDS} }} userErrors {{ field code message }} }}
}}"""
ONE = f"query($id: UUID!) {{ program(id: $id) {{ {FIELDS} }} }}"
PAGE = """
query($first: Int!, $after: String, $filter: ProgramFilter, $orderBy: ProgramOrder) {
  programs(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    edges { cursor node { id name status } } pageInfo { hasNextPage endCursor }
  }
}"""


async def run(
    client: httpx.AsyncClient, headers: dict[str, str], query: str, **variables: Any
) -> dict[str, Any]:
    body = await graphql(client, query, variables, headers=headers)
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def test_create_read_update_archive(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    created = (await run(client, headers, CREATE, input={"name": "Club"}))["createProgram"]
    assert created["userErrors"] == []
    program = created["program"]
    assert (program["status"], program["onUnknownParticipant"]) == ("ACTIVE", "CREATE")
    assert (await run(client, headers, ONE, id=program["id"]))["program"] == program
    via_rest = (await client.get(f"/v1/programs/{program['id']}", headers=headers)).json()
    assert via_rest["name"] == "Club"

    archived = (
        await run(client, headers, UPDATE, input={"id": program["id"], "status": "ARCHIVED"})
    )["updateProgram"]["program"]
    assert archived["status"] == "ARCHIVED"
    assert archived["deletedAt"] is not None
    listed = (await run(client, headers, PAGE, first=50))["programs"]["edges"]
    assert program["id"] not in [e["node"]["id"] for e in listed]
    shown = await run(client, headers, PAGE, first=50, filter={"includeArchived": True})
    assert program["id"] in [e["node"]["id"] for e in shown["programs"]["edges"]]


async def test_user_errors_and_unknown_ids(
    client: httpx.AsyncClient, headers: dict[str, str], db: Database
) -> None:
    bad = (await run(client, headers, CREATE, input={"name": "", "description": "d" * 1001}))[
        "createProgram"
    ]
    assert bad["program"] is None
    assert {(tuple(e["field"]), e["code"]) for e in bad["userErrors"]} == {
        (("input", "name"), "too_short"),
        (("input", "description"), "too_long"),
    }
    other = await issue_key(db, organization_name=f"other-{uuid.uuid4().hex}")
    theirs = (await run(client, {"X-API-Key": other.key}, CREATE, input={"name": "Theirs"}))[
        "createProgram"
    ]["program"]
    assert (await run(client, headers, ONE, id=theirs["id"]))["program"] is None
    missing = (await run(client, headers, UPDATE, input={"id": theirs["id"], "name": "Mine"}))[
        "updateProgram"
    ]
    assert missing["program"] is None
    assert missing["userErrors"][0]["field"] == ["input", "id"]
    assert missing["userErrors"][0]["code"] == "not_found"


async def test_pages_by_name(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    names = ["b", "a", "d", "c"]
    for name in names:
        await run(client, headers, CREATE, input={"name": name})
    seen: list[str] = []
    after = None
    order = {"field": "NAME", "direction": "ASC"}
    while True:
        page = (await run(client, headers, PAGE, first=3, after=after, orderBy=order))["programs"]
        seen += [e["node"]["name"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == sorted(names)
    bad = await graphql(client, PAGE, {"first": 0}, headers=headers)
    assert bad["errors"][0]["extensions"]["argument"] == ["first"]
