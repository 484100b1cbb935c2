"""What a GraphQL request may cost (issue 5): each limit at its edge and one past it."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from app.core.config import Settings
from app.graphql.limits import CACHEABLE_TEXT, DocumentRules, Limits
from app.main import create_app
from app.services.auth import issue_key
from tests.helpers import graphql


@pytest.fixture
async def strict(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """An app with small limits and introspection off, and a key for it."""
    settings = Settings(
        database_url=database_url,
        graphql_max_depth=4,  # nesting below the top-level field: participants→…→held is 4
        graphql_max_aliases=3,
        graphql_max_tokens=200,
        graphql_introspection=False,
        max_body_bytes=4096,
    )
    application: Starlette = create_app(settings)
    async with application.router.lifespan_context(application):
        key = await issue_key(application.state.db, organization_name="limits")
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers={"X-API-Key": key.key}
        ) as client:
            yield client


async def _errors(client: httpx.AsyncClient, query: str) -> tuple[Any, list[dict[str, Any]]]:
    response = await client.post("/graphql", json={"query": query})
    body = response.json()
    return body.get("data"), body.get("errors", [])


def _codes(errors: list[dict[str, Any]]) -> set[str]:
    return {e.get("extensions", {}).get("code") for e in errors}


async def test_depth_at_and_past_the_limit(strict: httpx.AsyncClient) -> None:
    data, errors = await _errors(
        strict, "{ participants { edges { node { balances { held } } } } }"
    )
    assert errors == []
    assert data["participants"]["edges"] == []
    deeper = "{ participants { edges { node { balances { asset { symbol } } } } } }"
    data, errors = await _errors(strict, deeper)
    assert data is None, errors
    assert _codes(errors) == {"QUERY_TOO_DEEP"}, errors


async def test_a_depth_of_fifty_is_refused_as_too_deep(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    query = "{ " + " { ".join((["participants", "edges", "node"] * 17)[:50]) + " }" * 50
    response = await client.post("/graphql", json={"query": query}, headers=headers)
    body = response.json()
    assert body["data"] is None
    assert "QUERY_TOO_DEEP" in _codes(body["errors"])


def _aliases(count: int) -> str:
    return (
        "{ " + " ".join(f'a{i}: participant(externalId: "x") {{ id }}' for i in range(count)) + " }"
    )


@pytest.mark.parametrize(("count", "allowed"), [(3, True), (4, False)])
async def test_aliases(strict: httpx.AsyncClient, count: int, allowed: bool) -> None:
    data, errors = await _errors(strict, _aliases(count))
    if allowed:
        assert errors == []
        assert data == {f"a{i}": None for i in range(count)}
    else:
        assert data is None, errors
        assert _codes(errors) == {"TOO_MANY_ALIASES"}, errors


async def test_a_thousand_aliases_are_refused_by_default(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    for count, codes in [(30, set()), (31, {"TOO_MANY_ALIASES"})]:
        response = await client.post("/graphql", json={"query": _aliases(count)}, headers=headers)
        assert _codes(response.json().get("errors", [])) == codes
    response = await client.post("/graphql", json={"query": _aliases(1000)}, headers=headers)
    body = response.json()
    assert body["data"] is None
    assert _codes(body["errors"]) == {"QUERY_TOO_LARGE"}


async def test_tokens_past_the_limit(strict: httpx.AsyncClient) -> None:
    data, errors = await _errors(strict, '{ participant(externalId: "x") { id } }' + " " * 10)
    assert errors == []
    long = "{ participants { edges { node { " + "id " * 300 + "} } } }"
    data, errors = await _errors(strict, long)
    assert data is None, errors
    assert _codes(errors) == {"QUERY_TOO_LARGE"}, errors


async def test_introspection_off_hides_the_schema_and_suggestions(
    strict: httpx.AsyncClient, client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    data, errors = await _errors(strict, "{ __schema { types { name } } }")
    assert data is None
    assert _codes(errors) == {"INTROSPECTION_DISABLED"}
    _, errors = await _errors(strict, '{ participant(externalId: "x") { externalI } }')
    assert errors, errors
    assert all("Did you mean" not in e["message"] for e in errors), errors
    # on by default
    response = await client.post(
        "/graphql",
        json={"query": '{ participant(externalId: "x") { externalI } }'},
        headers=headers,
    )
    assert "Did you mean" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize("size", [4097, 10 * 1024 * 1024])
async def test_a_body_over_the_limit_is_413_before_parsing(
    strict: httpx.AsyncClient, size: int
) -> None:
    body = b'{"query": "' + b" " * size + b'{ __typename }"}'
    response = await strict.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


async def test_a_body_without_length_is_counted(strict: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": "'
        for _ in range(10):
            yield b" " * 1024
        yield b'{ __typename }"}'

    response = await strict.post(
        "/graphql", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413


async def test_batching_is_off(strict: httpx.AsyncClient) -> None:
    response = await strict.post("/graphql", json=[{"query": "{ __typename }"}] * 2)
    assert response.status_code == 400


def _fragment_bomb(levels: int) -> str:
    fragments = [
        f"fragment F{i} on Participant {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)
    ]
    fragments.append(f"fragment F{levels} on Participant {{ id }}")
    return '{ participant(externalId: "x") { ...F0 } } ' + " ".join(fragments)


async def test_nested_fragments_cannot_blow_up_validation(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    """2^40 fields in a 2 KB document: refused in linear time, before the depth/alias rules."""
    started = time.perf_counter()
    response = await client.post("/graphql", json={"query": _fragment_bomb(40)}, headers=headers)
    assert time.perf_counter() - started < 2
    body = response.json()
    assert body["data"] is None
    assert _codes(body["errors"]) == {"QUERY_TOO_LARGE"}
    small = await client.post("/graphql", json={"query": _fragment_bomb(3)}, headers=headers)
    assert small.json() == {"data": {"participant": None}}


def test_only_short_documents_are_cached() -> None:
    rules = DocumentRules(Limits(), cache_size=4)
    short = "{ __typename }"
    assert rules.parse(short) is rules.parse(short)
    padded = "# " + "x" * CACHEABLE_TEXT + "\n{ __typename }"  # a comment costs no tokens
    assert rules.parse(padded) is not rules.parse(padded)
    for i in range(10):
        rules.parse(f"{{ a{i}: __typename }}")
    assert len(rules._documents) == 4  # bounded


async def test_nested_connections_cannot_multiply_without_bound(
    client: httpx.AsyncClient, headers: dict[str, str], app: Starlette
) -> None:
    for name in ("a", "b", "c"):
        await client.post("/v1/programs", json={"name": name}, headers=headers)
    query = """query($first: Int!, $inner: Int!) { programs(first: $first) { edges { node {
      participants(first: $inner) { edges { node { id } } } } } } }"""
    settings = app.state.settings
    original = settings.graphql_max_nodes
    object.__setattr__(settings, "graphql_max_nodes", 250)
    try:
        fits = await graphql(client, query, {"first": 3, "inner": 80}, headers=headers)
        assert "errors" not in fits, fits  # 3 + 3 * 80 = 243
        too_many = await graphql(client, query, {"first": 3, "inner": 100}, headers=headers)
    finally:
        object.__setattr__(settings, "graphql_max_nodes", original)
    codes = {e["extensions"]["code"] for e in too_many["errors"]}
    assert codes == {"QUERY_TOO_COSTLY"}
