"""Assets, tiers and a program's lazy fields over GraphQL (issue 6): they mirror REST, refuse
with userErrors, and stay batched (statement counts)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx

from app.core.db import Database
from app.models import Enrollment, ParticipantTier, utcnow
from app.services.auth import IssuedKey, issue_key
from tests.graphql.test_programs import run
from tests.helpers import graphql
from tests.rest.test_assets import asset_fields, new_asset, new_program
from tests.rest.test_tiers import new_tier

Headers = dict[str, str]

ASSET = """id name symbol scale inventoryMode issuancePolicy maxTransactionAmount status
  programIds deletedAt createdAt updatedAt"""
ERRORS = "userErrors { field code message }"


def mutation(name: str, result: str, fields: str) -> str:
    input_type = name[0].upper() + name[1:] + "Input"
    return f"""mutation($input: {input_type}!) {{
      {name}(input: $input) {{ {result} {{ {fields} }} {ERRORS} }}
    }}"""


CREATE_ASSET = mutation("createAsset", "asset", ASSET)
UPDATE_ASSET = mutation("updateAsset", "asset", ASSET)
LINK_ASSET = mutation("linkAsset", "asset", ASSET)
TIER = """id programId key displayName status archivedAt
  levels { id key rank displayName benefits createdAt updatedAt }"""
CREATE_TIER = mutation("createTier", "tier", TIER)
UPDATE_TIER = mutation("updateTier", "tier", TIER)
ARCHIVE_TIER = mutation("archiveTier", "tier", TIER)


def camel(fields: dict[str, Any]) -> dict[str, Any]:
    return {re.sub(r"_(\w)", lambda m: m[1].upper(), k): v for k, v in fields.items()}


async def test_asset_lifecycle_mirrors_rest(client: httpx.AsyncClient, headers: Headers) -> None:
    program_id = await new_program(client, headers)
    fields = camel(asset_fields(program_id, max_transaction_amount="250.5"))
    created = (await run(client, headers, CREATE_ASSET, input=fields))["createAsset"]
    assert created["userErrors"] == []
    asset = created["asset"]
    assert asset["programIds"] == [program_id]
    assert asset["maxTransactionAmount"] == "250.5"
    rest = (await client.get(f"/v1/assets/{asset['id']}", headers=headers)).json()
    assert (rest["symbol"], rest["max_transaction_amount"]) == (fields["symbol"], "250.5")

    update = {"id": asset["id"], "name": "Stars", "maxTransactionAmount": None}
    updated = (await run(client, headers, UPDATE_ASSET, input=update))["updateAsset"]["asset"]
    assert (updated["name"], updated["maxTransactionAmount"]) == ("Stars", None)

    other = await new_program(client, headers)
    link = {"programId": other, "assetId": asset["id"]}
    linked = (await run(client, headers, LINK_ASSET, input=link))["linkAsset"]
    assert linked["asset"]["programIds"] == [program_id, other]
    again = (await run(client, headers, LINK_ASSET, input=link))["linkAsset"]
    assert again["asset"] is None
    assert again["userErrors"][0]["code"] == "conflict"
    assert again["userErrors"][0]["field"] == ["input", "assetId"]

    archive = {"id": asset["id"], "status": "ARCHIVED"}
    archived = (await run(client, headers, UPDATE_ASSET, input=archive))["updateAsset"]["asset"]
    assert archived["status"] == "ARCHIVED"
    assert archived["deletedAt"]
    back = {"id": asset["id"], "status": "ACTIVE"}
    refused = (await run(client, headers, UPDATE_ASSET, input=back))["updateAsset"]
    assert refused["userErrors"][0]["field"] == ["input", "status"]
    found = await run(
        client, headers, f"query($id: UUID!) {{ asset(id: $id) {{ {ASSET} }} }}", id=asset["id"]
    )
    assert found["asset"] == archived


async def test_asset_user_errors_list_every_field_and_write_nothing(
    client: httpx.AsyncClient, headers: Headers
) -> None:
    fields = camel(asset_fields(str(uuid.uuid4()), symbol="no-good", scale=40))
    fields["maxTransactionAmount"] = "-1"
    payload = (await run(client, headers, CREATE_ASSET, input=fields))["createAsset"]
    assert payload["asset"] is None
    problems = {tuple(e["field"]) for e in payload["userErrors"]}
    assert problems == {
        ("input", "symbol"),
        ("input", "scale"),
        ("input", "maxTransactionAmount"),
    }
    program_id = await new_program(client, headers)
    await new_asset(client, headers, program_id, symbol="TAKEN1")
    taken = camel(asset_fields(program_id, symbol="TAKEN1"))
    clash = (await run(client, headers, CREATE_ASSET, input=taken))["createAsset"]
    assert clash["userErrors"] == [
        {
            "field": ["input", "symbol"],
            "code": "conflict",
            "message": "the symbol 'TAKEN1' is taken by another asset",
        }
    ]
    unknown = (await run(client, headers, UPDATE_ASSET, input={"id": str(uuid.uuid4())}))[
        "updateAsset"
    ]
    assert unknown["userErrors"][0]["code"] == "not_found"
    # Immutable fields are not even in the input type.
    body = await graphql(
        client, UPDATE_ASSET, {"input": {"id": str(uuid.uuid4()), "scale": 3}}, headers=headers
    )
    assert body["errors"]


async def test_assets_connection_pages_and_filters(
    client: httpx.AsyncClient, headers: Headers
) -> None:
    program_id = await new_program(client, headers)
    made = [await new_asset(client, headers, program_id, name=f"Coin {i}") for i in range(3)]
    query = """query($first: Int!, $after: String, $filter: AssetFilter) {
      assets(first: $first, after: $after, filter: $filter) {
        edges { cursor node { id programs { id } } } pageInfo { hasNextPage endCursor } } }"""
    seen, after = [], None
    while True:
        page = (
            await run(
                client, headers, query, first=2, after=after, filter={"programId": program_id}
            )
        )["assets"]
        seen += [edge["node"]["id"] for edge in page["edges"]]
        assert all(edge["node"]["programs"] == [{"id": program_id}] for edge in page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [a["id"] for a in reversed(made)]
    bad = await graphql(client, query, {"first": 0}, headers=headers)
    assert bad["errors"][0]["extensions"]["argument"] == ["first"]


async def test_tier_lifecycle_mirrors_rest(client: httpx.AsyncClient, headers: Headers) -> None:
    program_id = await new_program(client, headers)
    levels = [
        {"key": "silver", "rank": 1, "displayName": "Silver"},
        {"key": "gold", "rank": 2, "benefits": {"lounge": True}},
    ]
    create = {"programId": program_id, "key": "status", "displayName": "Status", "levels": levels}
    tier = (await run(client, headers, CREATE_TIER, input=create))["createTier"]["tier"]
    assert [(lv["key"], lv["rank"]) for lv in tier["levels"]] == [("silver", 1), ("gold", 2)]
    assert tier["levels"][1]["benefits"] == {"lounge": True}
    rest = (await client.get(f"/v1/programs/{program_id}/tiers/status", headers=headers)).json()
    assert [lv["id"] for lv in rest["levels"]] == [lv["id"] for lv in tier["levels"]]

    dup = (await run(client, headers, CREATE_TIER, input=create))["createTier"]
    assert dup["userErrors"][0]["code"] == "conflict"

    update = {"programId": program_id, "key": "status", "levels": [{"key": "gold", "rank": 5}]}
    updated = (await run(client, headers, UPDATE_TIER, input=update))["updateTier"]["tier"]
    assert [(lv["key"], lv["rank"]) for lv in updated["levels"]] == [("gold", 5)]
    assert updated["levels"][0]["id"] == tier["levels"][1]["id"]

    where = {"programId": program_id, "key": "status"}
    archived = (await run(client, headers, ARCHIVE_TIER, input=where))["archiveTier"]["tier"]
    assert archived["status"] == "ARCHIVED"
    assert archived["archivedAt"]
    again = (await run(client, headers, ARCHIVE_TIER, input=where))["archiveTier"]
    assert again["userErrors"][0]["code"] == "tier_archived"
    changed = await run(client, headers, UPDATE_TIER, input={**where, "displayName": "x"})
    assert changed["updateTier"]["userErrors"][0]["code"] == "tier_archived"
    read = await run(
        client,
        headers,
        f"query($p: UUID!, $k: String!) {{ tier(programId: $p, key: $k) {{ {TIER} }} }}",
        p=program_id,
        k="status",
    )
    assert read["tier"] == archived
    missing = await run(client, headers, ARCHIVE_TIER, input={**where, "key": "nope"})
    assert missing["archiveTier"]["userErrors"][0]["field"] == ["input", "key"]
    await client.patch(f"/v1/programs/{program_id}", json={"status": "ARCHIVED"}, headers=headers)
    closed = await run(client, headers, CREATE_TIER, input={**create, "key": "other"})
    assert closed["createTier"]["userErrors"][0]["code"] == "program_archived"


async def enroll_holders(
    client: httpx.AsyncClient,
    headers: Headers,
    db: Database,
    org: IssuedKey,
    program_id: str,
    count: int,
) -> list[str]:
    """`count` participants enrolled in the program, each holding gold in its `status` tier."""
    ids = []
    for i in range(count):
        response = await client.post(
            "/v1/participants",
            json={"external_id": f"{program_id[:8]}-{i}", "program_id": program_id},
            headers=headers,
        )
        ids.append(response.json()["id"])
    async with db.transaction() as session:
        session.add_all(
            ParticipantTier(
                participant_id=uuid.UUID(pid),
                program_id=uuid.UUID(program_id),
                tier_key="status",
                organization_id=org.organization_id,
                level="gold",
                rank=0,
                updated_at=utcnow(),
            )
            for pid in ids
        )
    return ids


PROGRAMS_DEEP = """
query($first: Int!, $members: Int!) {
  programs(first: $first) { edges { node {
    name
    assets { symbol programIds programs { id } }
    tiers { key levels { key rank } }
    participants(first: $members) {
      edges { node { externalId
        tiers { key level rank displayName levelDisplayName program { name } }
        programs { name }
      } }
      pageInfo { hasNextPage endCursor }
    }
  } } }
}"""


async def deep_statements(client: httpx.AsyncClient, db: Database, sql: Any, programs: int) -> int:
    """How many statements PROGRAMS_DEEP costs over `programs` programs (a fresh organization)."""
    org = await issue_key(db, organization_name=f"deep-{uuid.uuid4().hex}")
    headers = {"X-API-Key": org.key}
    for _ in range(programs):
        program_id = await new_program(client, headers)
        await new_asset(client, headers, program_id)
        await new_tier(client, headers, program_id)
        await enroll_holders(client, headers, db, org, program_id, 3)
    await graphql(client, "{ programs(first: 1) { edges { cursor } } }", headers=headers)  # warm
    with sql() as log:
        body = await graphql(client, PROGRAMS_DEEP, {"first": 10, "members": 2}, headers=headers)
    assert "errors" not in body, body
    edges = body["data"]["programs"]["edges"]
    assert len(edges) == programs
    for edge in edges:
        node = edge["node"]
        assert len(node["assets"]) == 1
        assert node["assets"][0]["programs"][0]["id"]
        assert node["tiers"][0]["levels"] == [
            {"key": "silver", "rank": 1},
            {"key": "gold", "rank": 2},
        ]
        members = node["participants"]
        assert len(members["edges"]) == 2
        assert members["pageInfo"]["hasNextPage"]
        held = members["edges"][0]["node"]["tiers"]
        assert held == [
            {
                "key": "status",
                "level": "gold",
                "rank": 2,  # from the definition, not the stored 0
                "displayName": "Status",
                "levelDisplayName": "Gold",
                "program": {"name": node["name"]},
            }
        ]
    count: int = log.count
    return count


async def test_program_lazy_fields_cost_a_fixed_number_of_statements(
    client: httpx.AsyncClient, db: Database, sql: Any
) -> None:
    one = await deep_statements(client, db, sql, 1)
    many = await deep_statements(client, db, sql, 4)
    assert one == await deep_statements(client, db, sql, 1)  # sanity: the count is stable
    # The key, the program page, then one statement per lazy field: assets, their program
    # links, programs by id, tiers, levels, members, members' tiers, members' programs (the
    # programs by id may take a second batch when its keys arrive in a later tick).
    assert one == many
    assert one <= 2 + 9


async def test_program_participants_pages_most_recent_first(
    client: httpx.AsyncClient, headers: Headers, db: Database, org: IssuedKey
) -> None:
    program_id = await new_program(client, headers)
    ids = await enroll_holders(client, headers, db, org, program_id, 5)
    async with db.transaction() as session:  # an inactive enrollment is not a member
        enrollment = await session.get(Enrollment, (uuid.UUID(ids[0]), uuid.UUID(program_id)))
        assert enrollment is not None
        enrollment.status = "INACTIVE"  # type: ignore[assignment]
    query = """query($id: UUID!, $first: Int!, $after: String) { program(id: $id) {
      participants(first: $first, after: $after) {
        edges { node { id } } pageInfo { hasNextPage endCursor } } } }"""
    seen, after = [], None
    while True:
        page = (await run(client, headers, query, id=program_id, first=2, after=after))["program"]
        seen += [e["node"]["id"] for e in page["participants"]["edges"]]
        info = page["participants"]["pageInfo"]
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
    assert sorted(seen) == sorted(ids[1:])
    assert len(seen) == len(set(seen))
    for bad in ({"first": 0}, {"first": 2, "after": "junk"}):
        body = await graphql(client, query, {"id": program_id, **bad}, headers=headers)
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_other_organizations_assets_and_tiers_are_invisible(
    client: httpx.AsyncClient, headers: Headers, db: Database
) -> None:
    other = {"X-API-Key": (await issue_key(db, organization_name=f"o-{uuid.uuid4().hex}")).key}
    their_program = await new_program(client, other)
    theirs = await new_asset(client, other, their_program)
    await new_tier(client, other, their_program)
    found = await run(
        client,
        headers,
        """query($a: UUID!, $p: UUID!) {
          asset(id: $a) { id } tier(programId: $p, key: "status") { id } program(id: $p) { id }
        }""",
        a=theirs["id"],
        p=their_program,
    )
    assert found == {"asset": None, "tier": None, "program": None}
    updated = await run(client, headers, UPDATE_ASSET, input={"id": theirs["id"], "name": "x"})
    assert updated["updateAsset"]["userErrors"][0]["code"] == "not_found"
    mine = await new_program(client, headers)
    link = {"programId": mine, "assetId": theirs["id"]}
    linked = (await run(client, headers, LINK_ASSET, input=link))["linkAsset"]
    assert linked["userErrors"][0]["field"] == ["input", "assetId"]
    tier = {"programId": their_program, "key": "mine", "levels": [{"key": "a", "rank": 1}]}
    created = (await run(client, headers, CREATE_TIER, input=tier))["createTier"]
    assert created["userErrors"][0]["field"] == ["input", "programId"]


async def test_hostile_numbers_are_refused_cheaply(
    client: httpx.AsyncClient, headers: Headers, db: Database
) -> None:
    program_id = await new_program(client, headers)
    fields = camel(asset_fields(program_id))
    for amount in ("1e300000000", "1e-300000000", "NaN", "Infinity"):
        payload = await graphql(
            client,
            CREATE_ASSET,
            {"input": {**fields, "maxTransactionAmount": amount}},
            headers=headers,
        )
        if "errors" not in payload:  # refused by the service, not by the Decimal scalar
            problem = payload["data"]["createAsset"]["userErrors"][0]
            assert problem["field"] == ["input", "maxTransactionAmount"], amount
    infinite = f"""mutation {{ createTier(input: {{programId: "{program_id}", key: "inf",
      levels: [{{key: "a", rank: 1, benefits: {{x: 1e400}}}}]}}) {{ tier {{ id }} {ERRORS} }} }}"""
    body = await graphql(client, infinite, headers=headers)
    assert body["data"]["createTier"]["userErrors"][0]["field"] == [
        "input",
        "levels",
        "0",
        "benefits",
    ]


async def test_tier_display_name_null_clears(client: httpx.AsyncClient, headers: Headers) -> None:
    program_id = await new_program(client, headers)
    await new_tier(client, headers, program_id)
    where = {"programId": program_id, "key": "status"}
    cleared = await run(client, headers, UPDATE_TIER, input={**where, "displayName": None})
    assert cleared["updateTier"]["tier"]["displayName"] is None
