"""`/openapi.json` paths of a participant's writes, state and state history (issue 7)."""

from __future__ import annotations

from typing import Any

from app.rest.openapi_parts import UNKNOWN, operation, path_parameter, query_parameters
from app.rest.participant_state import HistoryParams, ProgramParam

__all__ = ["participant_state_paths"]

_PARTICIPANT = path_parameter("participant_id")
_TAG = path_parameter("tag", {"type": "string", "minLength": 1, "maxLength": 255})
_KEY = path_parameter("key", {"type": "string", "minLength": 1, "maxLength": 255})
_BASE = "/v1/participants/{participant_id}"
_GONE = {"404": UNKNOWN}
_DONE = ("204", "", "Done (also when there was nothing to remove)")


def _tier_paths() -> dict[str, Any]:
    program = query_parameters(ProgramParam)
    for parameter in program:
        parameter["required"] = True
    refusals = {
        "404": "Unknown participant, program, tier or level",
        "409": "participant_inactive (the participant or program is not ACTIVE, or the "
        "participant is not enrolled) or tier_archived",
    }
    return {
        f"{_BASE}/state/tiers": {
            "get": operation(
                "listParticipantTiers",
                "The participant's levels in the program's tiers",
                ("200", "HeldTierList", "Levels, by tier key"),
                parameters=[_PARTICIPANT, *program],
                errors={"400": "program_id missing or malformed", **_GONE},
            ),
        },
        f"{_BASE}/state/tiers/{{key}}": {
            "get": operation(
                "getParticipantTier",
                "The participant's level in one tier",
                ("200", "HeldTier", "The level held"),
                parameters=[_PARTICIPANT, _KEY, *program],
                errors={"400": "program_id missing or malformed", "404": "No level held"},
            ),
            "put": operation(
                "setParticipantTier",
                "Give the participant a level of the tier",
                ("200", "HeldTier", "The level now held"),
                parameters=[_PARTICIPANT, _KEY, *program],
                body="TierSet",
                errors=refusals,
            ),
            "delete": operation(
                "removeParticipantTier",
                "Take the participant's level away",
                _DONE,
                parameters=[_PARTICIPANT, _KEY, *program],
                errors=refusals,
            ),
        },
    }


def participant_state_paths() -> dict[str, Any]:
    return {
        f"{_BASE}/status": {
            "patch": operation(
                "setParticipantStatus",
                "Set ACTIVE, SUSPENDED or CLOSED",
                ("200", "Participant", "The participant"),
                parameters=[_PARTICIPANT],
                body="StatusChange",
                errors=_GONE,
            ),
        },
        f"{_BASE}/state/tags": {
            "get": operation(
                "listParticipantTags",
                "The participant's tags",
                ("200", "TagList", "Every tag (one page)"),
                parameters=[_PARTICIPANT],
                errors=_GONE,
            ),
            "put": operation(
                "setParticipantTags",
                "Replace all tags",
                ("200", "TagsBody", "The new set"),
                parameters=[_PARTICIPANT],
                body="TagSet",
                errors=_GONE,
            ),
        },
        f"{_BASE}/state/tags/{{tag}}": {
            "put": operation(
                "addParticipantTag",
                "Add one tag (lower-cased)",
                ("201", "TagItem", "Added"),
                also=("200", "TagItem", "It was there already"),
                parameters=[_PARTICIPANT, _TAG],
                errors={"400": "Bad tag, or 100 tags already", **_GONE},
            ),
            "delete": operation(
                "removeParticipantTag",
                "Remove one tag",
                _DONE,
                parameters=[_PARTICIPANT, _TAG],
                errors=_GONE,
            ),
        },
        f"{_BASE}/state/attributes": {
            "get": operation(
                "listParticipantAttributes",
                "The participant's attributes",
                ("200", "AttributeList", "Every attribute, by key (one page)"),
                parameters=[_PARTICIPANT],
                errors=_GONE,
            ),
            "patch": operation(
                "mergeParticipantAttributes",
                "Set the given attributes; the others stay",
                ("200", "AttributesBody", "All attributes after the merge"),
                parameters=[_PARTICIPANT],
                body="AttributeMerge",
                errors=_GONE,
            ),
        },
        f"{_BASE}/state/attributes/{{key}}": {
            "put": operation(
                "setParticipantAttribute",
                "Set one attribute",
                ("200", "AttributeItem", "The attribute"),
                parameters=[_PARTICIPANT, _KEY],
                body="AttributeSet",
                errors=_GONE,
            ),
            "delete": operation(
                "removeParticipantAttribute",
                "Remove one attribute",
                _DONE,
                parameters=[_PARTICIPANT, _KEY],
                errors=_GONE,
            ),
        },
        f"{_BASE}/state/counters": {
            "get": operation(
                "listParticipantCounters",
                "The participant's counters (effective values)",
                ("200", "CounterList", "Every counter, by key (one page)"),
                parameters=[_PARTICIPANT],
                errors=_GONE,
            ),
        },
        f"{_BASE}/state/counters/{{key}}": {
            "get": operation(
                "getParticipantCounter",
                "One counter (its effective value: 0 once a reset period has run out)",
                ("200", "Counter", "The counter"),
                parameters=[_PARTICIPANT, _KEY],
                errors={"404": "Unknown participant or counter"},
            ),
            "put": operation(
                "setParticipantCounter",
                "Set a counter to a value (an absolute set; starts a reset period)",
                ("200", "Counter", "The counter"),
                parameters=[_PARTICIPANT, _KEY],
                body="CounterSet",
                errors=_GONE,
            ),
            "delete": operation(
                "removeParticipantCounter",
                "Remove a counter for good",
                _DONE,
                parameters=[_PARTICIPANT, _KEY],
                errors=_GONE,
            ),
        },
        **_tier_paths(),
        f"{_BASE}/activity/state-history": {
            "get": operation(
                "listParticipantStateHistory",
                "Changes to tags, attributes, counters and tiers, newest first",
                ("200", "HistoryList", "A page of changes"),
                parameters=[_PARTICIPANT, *query_parameters(HistoryParams)],
                errors={"400": "Bad parameter; details.fields names it", **_GONE},
            ),
        },
    }
