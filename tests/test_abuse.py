"""Garbage in (issue 5): each answered with a clear 4xx, nothing written, nothing leaked."""

from __future__ import annotations

import httpx
import pytest

from app.core.db import Database
from app.models import Participant
from app.services.auth import IssuedKey
from tests.helpers import count_rows, graphql

CREATE = (
    "mutation($i: CreateParticipantInput!) { createParticipant(input: $i) {"
    " userErrors { code } participant { externalId } } }"
)


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xfe\xfd",  # not UTF-8
        b'{"query": "\xc3\x28"}',  # invalid UTF-8 inside a string
        b"[" * 5000 + b"]" * 5000,  # nesting past the JSON parser's limit
        b'{"external_id": ' + b'{"a": ' * 2000 + b"1" + b"}" * 2000 + b"}",
        b"x" * (10 * 1024 * 1024),  # 10 MiB
    ],
    ids=["not-utf8", "bad-utf8-in-string", "deep-array", "deep-object", "10MiB"],
)
@pytest.mark.parametrize("path", ["/v1/participants", "/graphql"])
async def test_garbage_bodies_are_4xx_and_write_nothing(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    org: IssuedKey,
    db: Database,
    path: str,
    body: bytes,
) -> None:
    response = await client.post(
        path, content=body, headers={**headers, "Content-Type": "application/json"}
    )
    assert 400 <= response.status_code < 500, response.text[:200]
    assert response.status_code in (400, 413)
    assert await count_rows(db, Participant, org.organization_id) == 0


@pytest.mark.parametrize(
    ("external_id", "accepted"),
    [
        ("\U0001d518" * 255, True),  # 255 characters outside the BMP: 1,020 bytes in UTF-8
        ("\U0001d518" * 256, False),
        ("' OR 1=1; --", True),
        ("%_\\", True),  # LIKE wildcards and the escape character, stored as they are
        ("a\u0000b", False),
        ("\u202eevil", True),  # bidi override: not a control character, stored exactly
    ],
)
async def test_external_ids_are_stored_exactly_or_refused(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    org: IssuedKey,
    db: Database,
    external_id: str,
    accepted: bool,
) -> None:
    rest = await client.post("/v1/participants", json={"external_id": external_id}, headers=headers)
    gql = await graphql(client, CREATE, {"i": {"externalId": external_id}}, headers=headers)
    payload = gql["data"]["createParticipant"]
    if accepted:
        assert rest.status_code == 201
        assert rest.json()["external_id"] == external_id
        assert payload["participant"]["externalId"] == external_id
        found = await client.get(
            "/v1/participants", params={"external_id": external_id}, headers=headers
        )
        assert [p["external_id"] for p in found.json()["data"]] == [external_id]
        searched = await client.get(
            "/v1/participants", params={"search": external_id}, headers=headers
        )
        assert external_id in [p["external_id"] for p in searched.json()["data"]]
    else:
        assert rest.status_code == 400
        assert payload["participant"] is None
        assert payload["userErrors"]
        assert await count_rows(db, Participant, org.organization_id) == 0
