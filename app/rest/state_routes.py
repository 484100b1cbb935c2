"""The routes under `/v1/participants/{participant_id}/state` and `…/activity`.

Tags, attribute keys and counter keys may hold "/", so their path parameters take the rest of
the path (`a%2Fb` arrives decoded as `a/b`)."""

from __future__ import annotations

from starlette.routing import Route

from app.rest import balances as ledger
from app.rest import participant_state as state
from app.rest.routing import resource

__all__ = ["ledger_routes", "participant_state_routes"]

_BASE = "/v1/participants/{participant_id}"


def participant_state_routes() -> list[Route]:
    return [
        resource(f"{_BASE}/state/tags", {"GET": state.list_tags, "PUT": state.set_tags}),
        resource(
            f"{_BASE}/state/tags/{{tag:path}}", {"PUT": state.add_tag, "DELETE": state.remove_tag}
        ),
        resource(
            f"{_BASE}/state/attributes",
            {"GET": state.list_attributes, "PATCH": state.merge_attributes},
        ),
        resource(
            f"{_BASE}/state/attributes/{{key:path}}",
            {"PUT": state.set_attribute, "DELETE": state.remove_attribute},
        ),
        resource(f"{_BASE}/state/counters", {"GET": state.list_counters}),
        resource(
            f"{_BASE}/state/counters/{{key:path}}",
            {"GET": state.get_counter, "PUT": state.set_counter, "DELETE": state.remove_counter},
        ),
        resource(f"{_BASE}/state/tiers", {"GET": state.list_tier_levels}),
        resource(
            f"{_BASE}/state/tiers/{{key}}",
            {
                "GET": state.get_tier_level,
                "PUT": state.set_tier_level,
                "DELETE": state.remove_tier_level,
            },
        ),
        resource(f"{_BASE}/activity/state-history", {"GET": state.state_history}),
    ]


def ledger_routes() -> list[Route]:
    """Balances, balance operations, program wallets and the journal (issue 8)."""
    return [
        resource(f"{_BASE}/balances", {"GET": ledger.list_balances}),
        resource(f"{_BASE}/balances/adjust", {"POST": ledger.adjust}),
        resource(f"{_BASE}/balances/hold", {"POST": ledger.hold}),
        resource(f"{_BASE}/balances/release", {"POST": ledger.release}),
        resource(f"{_BASE}/balances/forfeit", {"POST": ledger.forfeit}),
        resource(f"{_BASE}/activity/history", {"GET": ledger.activity}),
        resource("/v1/programs/{program_id}/balance", {"GET": ledger.program_balance}),
        resource("/v1/programs/{program_id}/assets/{asset_id}/fund", {"POST": ledger.fund}),
        resource("/v1/programs/{program_id}/assets/{asset_id}/burn", {"POST": ledger.burn}),
        resource("/v1/journal-entries", {"GET": ledger.list_entries}),
        resource("/v1/journal-entries/{entry_id}", {"GET": ledger.get_entry}),
    ]
