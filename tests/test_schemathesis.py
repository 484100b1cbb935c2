"""Schemathesis (issue 5): generated requests against a real server, for both documented faces.

REST cases come from `/openapi.json`, GraphQL cases from the schema by introspection. Every
response must be documented and match its schema, no request may cause a 5xx, and requests
without a valid key must be refused. Examples are bounded (`MAX_EXAMPLES`) to keep CI fast.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import graphql
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.core.result import Ok
from schemathesis.graphql import nodes
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.helpers import discard_database, fresh_database_url
from tests.servers import free_port, printed_line, start_serve, stop, wait_until_healthy

MAX_EXAMPLES = 30
BOUNDED = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,  # the same examples every run: CI stays deterministic
)


_UNEXPECTED = {"INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE"}

_NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
# The JSON scalar (attributes, benefits): mostly objects of short strings, sometimes a bare value
# that the service must refuse with userErrors.
schemathesis.graphql.scalar(
    "JSON",
    st.one_of(
        st.dictionaries(_NAMES, st.text(max_size=12), max_size=4).map(
            lambda d: nodes.Object(
                [
                    graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=nodes.String(v))
                    for k, v in d.items()
                ]
            )
        ),
        st.text(max_size=12).map(nodes.String),
        st.integers().map(nodes.Int),
    ),
)
# Decimal: decimal strings, sometimes absurd ("1e999999999") or not numbers at all.
schemathesis.graphql.scalar(
    "Decimal",
    st.one_of(
        st.decimals(allow_nan=False, allow_infinity=False, places=3).map(
            lambda d: nodes.String(str(d))
        ),
        st.sampled_from(["1e999999999", "-0", "abc", "NaN"]).map(nodes.String),
    ),
)


@dataclass(frozen=True)
class Served:
    base_url: str
    key: str


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    directory: Path = tmp_path_factory.mktemp("schemathesis")
    url = asyncio.run(fresh_database_url(request.param, directory))
    port = free_port()
    server = start_serve(database_url=url, port=port)
    try:
        key = [printed_line(server) for _ in range(2)][1].strip()
        base_url = f"http://127.0.0.1:{port}"
        wait_until_healthy(base_url, server, 60)
        yield Served(base_url, key)
    finally:
        stop(server)
        asyncio.run(discard_database(url))


def _refers(case: Any) -> bool:
    """True when the case names something that must exist (a program, an asset, a tier) or be
    signed by the server (a cursor): schema-valid random values for those are rightly refused
    (400, 404, or 409 for a symbol or key taken by an earlier case)."""
    query = case.query if isinstance(case.query, dict) else {}
    body = case.body if isinstance(case.body, dict) else {}
    return (
        bool(case.path_parameters)
        or query.get("cursor") is not None
        or query.get("program_id") is not None
        or body.get("program_id") is not None
        or body.get("asset_id") is not None
    )


def _exercise(schema: BaseSchema, check: Callable[[Any], None]) -> list[str]:
    """Run `check` on every operation's bounded examples; the operations covered, by label."""
    covered = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # every operation's schema is well-formed
        operation = result.ok()

        def run(case: Any) -> None:
            check(case)

        given(case=operation.as_strategy())(BOUNDED(run))()
        covered.append(operation.label)
    return covered


def test_rest_conforms_to_its_openapi_document(served: Served) -> None:
    schema = schemathesis.openapi.from_url(f"{served.base_url}/openapi.json")

    def check(case: Any) -> None:
        # All of schemathesis's checks: no 5xx, documented statuses, bodies matching their
        # schemas, schema-valid data accepted, requests without a valid key refused.
        case.call_and_validate(
            base_url=served.base_url,
            headers={"X-API-Key": served.key},
            excluded_checks=[positive_data_acceptance] if _refers(case) else [],
        )

    covered = _exercise(schema, check)
    assert "POST /v1/participants" in covered
    assert "GET /v1/participants/{participant_id}" in covered
    assert {"POST /v1/assets", "PATCH /v1/programs/{program_id}/tiers/{key}"} <= set(covered)
    assert "PUT /v1/participants/{participant_id}/state/counters/{key}" in covered


def test_graphql_never_fails_unexpectedly(served: Served) -> None:
    schema = schemathesis.graphql.from_url(
        f"{served.base_url}/graphql", headers={"X-API-Key": served.key}
    )

    def check(case: Any) -> None:
        # Generated operations may rightly fail (both id and externalId, a bad email); what must
        # never happen is a 5xx, a non-JSON answer, an unexpected (masked) error, or a request
        # without a key being served.
        response = case.call(base_url=served.base_url, headers={"X-API-Key": served.key})
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) <= {"data", "errors"}
        for error in body.get("errors") or []:
            assert error.get("extensions", {}).get("code") not in _UNEXPECTED, error
        assert case.call(base_url=served.base_url).status_code == 401

    covered = _exercise(schema, check)
    assert {"Query.participants", "Mutation.createParticipant"} <= set(covered)
    assert {"Mutation.createAsset", "Mutation.createTier", "Query.tier"} <= set(covered)
    assert {"Mutation.setParticipantAttributes", "Mutation.setParticipantTier"} <= set(covered)
