"""The committed schema.graphql is what the code exports; /openapi.json covers the REST routes."""

from __future__ import annotations

from pathlib import Path

import httpx

from app.graphql.schema import schema

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


def test_schema_file_is_current() -> None:
    assert SCHEMA_FILE.read_text() == schema.as_str() + "\n", (
        "schema.graphql is stale: run "
        "`strawberry export-schema app.graphql.schema:schema --output schema.graphql`"
    )


async def test_openapi_describes_create(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    paths = document["paths"]
    assert {"get", "post"} <= set(paths["/v1/participants"])
    assert "get" in paths["/v1/participants/{participant_id}"]
    listed = {p["name"] for p in paths["/v1/participants"]["get"]["parameters"]}
    assert listed == {
        "external_id",
        "limit",
        "cursor",
        "program_id",
        "status",
        "search",
        "from",
        "to",
        "sort_by",
        "sort_dir",
    }
    post = document["paths"]["/v1/participants"]["post"]
    assert set(post["responses"]) >= {"200", "201", "400", "401", "413", "415"}
    schemas = document["components"]["schemas"]
    request = schemas["ParticipantCreate"]
    assert request["required"] == ["external_id"]
    assert request["properties"]["external_id"]["maxLength"] == 255
    participant = schemas["Participant"]
    assert {"balances", "counters", "tiers", "program_ids"} <= set(participant["properties"])
    for ref in _refs(document):
        assert ref.removeprefix("#/components/schemas/") in schemas


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if "$ref" in node else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []
