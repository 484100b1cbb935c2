"""Data access: one function per query, keyword-only arguments, always scoped to an organization.

`keys` (organizations, API keys), `participants` (upsert, lookups, listing, enrollment), `programs`,
`state` (batched derived state and assets). Import the package: `crud.upsert_participant(...)`.
"""

from __future__ import annotations

from app.crud.keys import (
    create_api_key,
    find_api_key,
    get_or_create_organization,
    has_organizations,
    list_api_keys,
    revoke_api_key,
    touch_api_key,
)
from app.crud.participants import (
    enroll,
    list_participants,
    participants_by_external_id,
    participants_by_id,
    upsert_participant,
)
from app.crud.programs import (
    create_program,
    get_program,
    list_programs,
)
from app.crud.state import (
    assets_by_id,
    balances_by_participant,
    counters_by_participant,
    programs_by_participant,
    tiers_by_participant,
)

__all__ = [
    "assets_by_id",
    "balances_by_participant",
    "counters_by_participant",
    "create_api_key",
    "create_program",
    "enroll",
    "find_api_key",
    "get_or_create_organization",
    "get_program",
    "has_organizations",
    "list_api_keys",
    "list_participants",
    "list_programs",
    "participants_by_external_id",
    "participants_by_id",
    "programs_by_participant",
    "revoke_api_key",
    "tiers_by_participant",
    "touch_api_key",
    "upsert_participant",
]
