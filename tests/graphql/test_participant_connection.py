"""Query.participants: the connection, its arguments, and batched lazy fields (issue 3)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest

from app.core.db import Database
from app.core.formats import format_timestamp
from app.services.auth import IssuedKey
from tests.graphql.test_participants import seed_state
from tests.helpers import graphql
from tests.rest.test_list_participants import expected_order, seed

PAGE = """
query Page($first: Int, $after: String, $filter: ParticipantFilter, $orderBy: ParticipantOrder) {
  participants(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    edges { cursor node { id externalId status } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

DEEP = """
query Deep($first: Int) {
  participants(first: $first) {
    edges { node {
      id
      programs { id name }
      balances { available asset { symbol } }
      counters { key value }
      tiers { key level rank }
    } }
    pageInfo { hasNextPage }
  }
}
"""


#: Only ids: the sort columns are not selected, and the page must still read them for cursors.
PAGE_OF_IDS = PAGE.replace("node { id externalId status }", "node { id }")


async def page(
    client: httpx.AsyncClient, headers: dict[str, str], query: str = PAGE, **variables: Any
) -> dict[str, Any]:
    body = await graphql(client, query, variables, headers=headers)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["participants"]
    return result


@pytest.mark.parametrize("field", ["CREATED_AT", "EXTERNAL_ID", "STATUS"])
@pytest.mark.parametrize("direction", ["ASC", "DESC"])
@pytest.mark.parametrize("query", [PAGE, PAGE_OF_IDS], ids=["fields", "ids"])
async def test_walk_every_order(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    org: IssuedKey,
    db: Database,
    field: str,
    direction: str,
    query: str,
) -> None:
    rows = await seed(db, org, count=11)
    order = {"field": field, "direction": direction}
    seen: list[str] = []
    after = None
    while True:
        result = await page(client, headers, query, first=3, after=after, orderBy=order)
        seen += [edge["node"]["id"] for edge in result["edges"]]
        if result["edges"]:
            assert result["pageInfo"]["endCursor"] == result["edges"][-1]["cursor"]
        if not result["pageInfo"]["hasNextPage"]:
            break
        after = result["pageInfo"]["endCursor"]
    assert seen == expected_order(rows, field.lower(), direction.lower())


async def test_any_edge_cursor_resumes_after_that_edge(
    client: httpx.AsyncClient, headers: dict[str, str], org: IssuedKey, db: Database
) -> None:
    await seed(db, org, count=6)
    everyone = await page(client, headers, first=6)
    middle = everyone["edges"][2]["cursor"]
    rest = await page(client, headers, first=6, after=middle)
    assert [e["node"]["id"] for e in rest["edges"]] == [
        e["node"]["id"] for e in everyone["edges"][3:]
    ]


async def test_filter_and_defaults(
    client: httpx.AsyncClient, headers: dict[str, str], org: IssuedKey, db: Database
) -> None:
    rows = await seed(db, org, count=60)
    default = await page(client, headers)
    assert len(default["edges"]) == 50
    assert default["pageInfo"]["hasNextPage"] is True
    suspended = await page(
        client, headers, first=200, filter={"status": "SUSPENDED", "search": "JOHN"}
    )
    assert {e["node"]["id"] for e in suspended["edges"]} == {
        str(p.id) for p in rows if p.status == "SUSPENDED" and p.first_name == "John"
    }
    empty = await page(client, headers, filter={"externalId": "nobody"})
    assert empty == {"edges": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}


@pytest.mark.parametrize(
    ("variables", "argument"),
    [
        ({"first": 0}, ["first"]),
        ({"first": 201}, ["first"]),
        ({"after": "garbage"}, ["after"]),
        ({"filter": {"search": "s" * 256}}, ["filter", "search"]),
        ({"filter": {"createdFrom": "2024-01-01T00:00:00"}}, ["filter", "createdFrom"]),
    ],
)
async def test_bad_arguments(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    variables: dict[str, Any],
    argument: list[str],
) -> None:
    body = await graphql(client, PAGE, variables, headers=headers)
    assert body["data"] is None
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["argument"] == argument
    assert error["message"] != "Unexpected error."


@pytest.mark.parametrize("size", [1, 10, 100])
async def test_lazy_fields_cost_a_fixed_number_of_statements(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    org: IssuedKey,
    db: Database,
    sql: Any,
    size: int,
) -> None:
    rows = await seed(db, org, count=size)
    for row in rows:
        await seed_state(db, org.organization_id, row.id)
    with sql() as log:
        body = await graphql(client, DEEP, {"first": size}, headers=headers)
    edges = body["data"]["participants"]["edges"]
    assert len(edges) == size
    assert all(len(e["node"]["balances"]) == 1 for e in edges)
    assert all(e["node"]["tiers"][0]["level"] == "gold" for e in edges)
    # authentication, the page with its state (programs, balances, counters and tiers as columns
    # of its rows), the programs it names, the assets its balances name
    assert log.count == 4, log.statements


async def test_other_organizations_are_not_listed(
    client: httpx.AsyncClient, headers: dict[str, str], db: Database
) -> None:
    from app.services.auth import issue_key

    other = await issue_key(db, organization_name=f"other-{uuid.uuid4().hex}")
    await seed(db, other, count=3)
    assert (await page(client, headers))["edges"] == []


FRAGMENTS = """
fragment Money on Balance { available asset { symbol } }
fragment State on Participant { balances { ...Money } ... on Participant { tiers { level } } }
query Fragments($first: Int) {
  participants(first: $first) { edges { node { id ...State } } }
}
"""


def _tables_read(statement: str) -> set[str]:
    """The tables a statement reads (the page's own table, participants, left out)."""
    return set(re.findall(r"\b(?:FROM|JOIN)\s+\"?(\w+)", statement)) - {"participants"}


TIER_TABLES = ("participant_tiers", "tiers", "tier_levels")

SKIPPED = """
query Skipped($first: Int, $without: Boolean!) {
  participants(first: $first) { edges { node {
    id
    balances @skip(if: $without) { available }
    counters @include(if: false) { key }
    ... @skip(if: true) { tiers { level } }
    programs { id }
  } } }
}
"""


@pytest.mark.parametrize(
    ("query", "loaded"),
    [
        (PAGE, set()),
        (SKIPPED, {"enrollments", "programs"}),
        (FRAGMENTS, {"balances", "assets", *TIER_TABLES}),
        (DEEP, {"enrollments", "programs", "balances", "assets", "counters", *TIER_TABLES}),
    ],
    ids=["no lazy field", "skipped fields", "through fragments", "all lazy fields"],
)
async def test_a_page_loads_exactly_the_selected_lazy_fields(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    org: IssuedKey,
    db: Database,
    sql: Any,
    query: str,
    loaded: set[str],
) -> None:
    rows = await seed(db, org, count=3)
    for row in rows:
        await seed_state(db, org.organization_id, row.id)
    with sql() as log:
        body = await graphql(client, query, {"first": 3, "without": True}, headers=headers)
    assert "errors" not in body, body
    assert len(body["data"]["participants"]["edges"]) == 3
    # After authentication: the page (with its state), then what the state names.
    tables = {table for statement in log.statements[1:] for table in _tables_read(statement)}
    assert tables == loaded, log.statements
    if query is FRAGMENTS:
        node = body["data"]["participants"]["edges"][0]["node"]
        assert node["balances"][0]["asset"]["symbol"]
        assert node["tiers"][0]["level"] == "gold"


COSTLY = """
fragment Costly on Participant { attributes ... @include(if: $withTags) { tags } }
query Costly($withTags: Boolean!) {
  participants(first: 5, orderBy: {field: EXTERNAL_ID, direction: ASC}) {
    edges { node { externalId ...Costly updatedAt @skip(if: $withTags) } }
  }
}
"""


@pytest.mark.parametrize("with_tags", [True, False])
async def test_costly_columns_are_read_only_when_asked_for(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    org: IssuedKey,
    db: Database,
    sql: Any,
    with_tags: bool,
) -> None:
    """A column is left unread unless the nodes select its field, however it is selected (a
    fragment, a directive); sort keys and ids are always read."""
    rows = await seed(db, org, count=3)
    with sql() as log:
        body = await graphql(client, COSTLY, {"withTags": with_tags}, headers=headers)
    assert "errors" not in body, body
    nodes = [edge["node"] for edge in body["data"]["participants"]["edges"]]
    assert [node["externalId"] for node in nodes] == sorted(p.external_id for p in rows)
    by_external_id = {p.external_id: p for p in rows}
    for node in nodes:
        assert node["attributes"] == {}
        assert ("tags" in node, "updatedAt" in node) == (with_tags, not with_tags)
        if with_tags:
            assert node["tags"] == []
        else:
            written = by_external_id[node["externalId"]].updated_at
            assert node["updatedAt"] == format_timestamp(written)
    page_statement = next(s for s in log.statements if "FROM participants" in s)
    unread = "tags" if not with_tags else "updated_at"
    assert re.search(rf"NULL AS {unread}\b", page_statement), page_statement
    assert not re.search(r"NULL AS attributes\b", page_statement), page_statement
    for never_asked in ("email", "display_name", "status", "organization_id"):
        assert re.search(rf"NULL AS {never_asked}\b", page_statement), page_statement
    assert not re.search(r"NULL AS (external_id|id)\b", page_statement), page_statement


async def test_a_page_shows_counters_as_of_now(
    client: httpx.AsyncClient, headers: dict[str, str], org: IssuedKey, db: Database
) -> None:
    """A counter whose period has run out reads 0 on a page too (the page's state is read in
    one statement, apart from the counters' own loader)."""
    from datetime import UTC, datetime, timedelta
    from decimal import Decimal

    from app.models import Counter

    rows = await seed(db, org, count=1)
    long_ago = datetime.now(UTC) - timedelta(days=3)
    async with db.transaction() as session:
        for key, reset_after in (("expired", "24h"), ("running", "720h")):
            session.add(
                Counter(
                    participant_id=rows[0].id,
                    key=key,
                    organization_id=org.organization_id,
                    value=Decimal("5"),
                    reset_after=reset_after,
                    last_reset_at=long_ago,
                )
            )
    body = await graphql(
        client,
        "{ participants(first: 1) { edges { node { counters { key value } } } } }",
        {},
        headers=headers,
    )
    assert "errors" not in body, body
    counters = body["data"]["participants"]["edges"][0]["node"]["counters"]
    assert counters == [{"key": "expired", "value": "0"}, {"key": "running", "value": "5"}]
