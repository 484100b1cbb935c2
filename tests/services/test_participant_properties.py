"""Property tests (issue 5): any valid input round-trips and merges by the rules; any invalid
input is refused and changes nothing. Through the real app, on both databases."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.db import Database
from app.models import Participant
from app.services.auth import issue_key
from tests.helpers import count_rows

PROPERTIES = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,  # the same examples every run: CI stays deterministic
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Text the contract accepts: no control characters (Cc) where those are refused, never NUL, and
# no lone surrogates (JSON cannot carry them as UTF-8).
plain = st.characters(exclude_categories=("Cc", "Cs"))
any_but_nul = st.characters(codec="utf-8", exclude_characters="\x00")  # utf-8: no surrogates

external_ids = st.text(plain, min_size=1, max_size=255).filter(lambda s: s.strip() != "")
names = st.text(any_but_nul, max_size=255)
phones = st.text(plain, max_size=50)
emails = st.builds(
    "{}@{}.example.com".format,
    st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=20),
    st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=20),
)
attributes = st.dictionaries(
    st.text(plain, min_size=1, max_size=100), st.text(any_but_nul, max_size=1000), max_size=8
)
# ASCII letters keep lower-casing length-preserving (an "İ" lower-cases to two characters).
tags = st.lists(st.text("abcdefgABCDEFG-_:0123456789", min_size=1, max_size=40), max_size=10)
statuses = st.sampled_from(["ACTIVE", "SUSPENDED", "CLOSED"])


@st.composite
def creates(draw: st.DrawFn, external_id: str | None = None) -> dict[str, Any]:
    """A valid create body: the external_id and any subset of the other fields."""
    optional = {
        "status": statuses,
        "email": emails,
        "phone": phones,
        "first_name": names,
        "last_name": names,
        "display_name": names,
        "attributes": attributes,
        "tags": tags,
    }
    chosen = draw(st.sets(st.sampled_from(sorted(optional))))
    body = {name: draw(optional[name]) for name in sorted(chosen)}
    body["external_id"] = external_id if external_id is not None else draw(external_ids)
    return body


def expected_tags(given: list[str]) -> list[str]:
    return list(dict.fromkeys(tag.lower() for tag in given))


def _profile(value: str | None) -> str | None:
    return value or None  # "" clears a profile field


async def _tenant(db: Database) -> tuple[dict[str, str], uuid.UUID]:
    """A fresh organization per example: examples never see each other's participants."""
    issued = await issue_key(db, organization_name=f"prop-{uuid.uuid4().hex}")
    return {"X-API-Key": issued.key}, issued.organization_id


@given(body=creates())
@PROPERTIES
async def test_any_valid_input_round_trips(
    client: httpx.AsyncClient, db: Database, body: dict[str, Any]
) -> None:
    headers, _ = await _tenant(db)
    created = await client.post("/v1/participants", json=body, headers=headers)
    assert created.status_code == 201, created.text
    stored = (await client.get(f"/v1/participants/{created.json()['id']}", headers=headers)).json()
    assert stored == created.json()
    assert stored["external_id"] == body["external_id"]
    assert stored["status"] == body.get("status", "ACTIVE")
    for name in ("phone", "first_name", "last_name", "display_name"):
        assert stored[name] == _profile(body.get(name))
    assert stored["attributes"] == body.get("attributes", {})
    assert stored["tags"] == expected_tags(body.get("tags", []))


@given(data=st.data())
@PROPERTIES
async def test_a_second_create_merges_by_the_rules(
    client: httpx.AsyncClient, db: Database, data: st.DataObject
) -> None:
    first = data.draw(creates())
    second = data.draw(creates(external_id=first["external_id"]))
    headers, _ = await _tenant(db)
    assert (await client.post("/v1/participants", json=first, headers=headers)).status_code == 201
    updated = await client.post("/v1/participants", json=second, headers=headers)
    assert updated.status_code == 200, updated.text
    merged = updated.json()
    for name in ("phone", "first_name", "last_name", "display_name"):
        expected = second[name] if name in second else first.get(name)
        assert merged[name] == _profile(expected)
    assert merged["status"] == second.get("status", first.get("status", "ACTIVE"))
    assert merged["attributes"] == {**first.get("attributes", {}), **second.get("attributes", {})}
    assert merged["tags"] == expected_tags(
        second["tags"] if "tags" in second else first.get("tags", [])
    )


# One field broken at a time, each in a way the contract refuses.
breakages = st.one_of(
    st.tuples(st.just("external_id"), st.sampled_from(["", "   ", "a\x01b", "x" * 256, "\x00"])),
    st.tuples(
        st.just("email"), st.sampled_from(["not-an-email", "a@", "@b.com", "a" * 250 + "@b.com"])
    ),
    st.tuples(st.just("phone"), st.sampled_from(["1" * 51, "555\n1234"])),
    st.tuples(st.just("first_name"), st.sampled_from(["n" * 256, "nul\x00"])),
    st.tuples(
        st.just("attributes"), st.sampled_from([{"": "v"}, {"k": "v" * 1001}, {"k": 1}, ["x"]])
    ),
    st.tuples(
        st.just("tags"), st.sampled_from([[""], ["t" * 256], [f"t{i}" for i in range(101)], "vip"])
    ),
    st.tuples(st.just("status"), st.sampled_from(["active", "DELETED", 1])),
    st.tuples(st.just("unknown_field"), st.just("x")),
)


@given(data=st.data())
@PROPERTIES
async def test_any_invalid_input_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, db: Database, data: st.DataObject
) -> None:
    original = data.draw(creates())
    field, bad = data.draw(breakages)
    headers, organization_id = await _tenant(db)
    created = await client.post("/v1/participants", json=original, headers=headers)
    assert created.status_code == 201
    before = created.json()
    organization_rows = await count_rows(db, Participant, organization_id)
    for target in (original["external_id"], data.draw(external_ids)):
        broken = {**data.draw(creates(external_id=target)), field: bad}
        refused = await client.post("/v1/participants", json=broken, headers=headers)
        assert refused.status_code == 400, (broken, refused.text)
        problems = refused.json()["details"]["fields"]
        assert any(p["field"].split(".")[0].split("[")[0] == field for p in problems), problems
    after = await client.get(f"/v1/participants/{before['id']}", headers=headers)
    assert after.json() == before
    assert await count_rows(db, Participant, organization_id) == organization_rows
