"""Data access: one function per query, keyword-only arguments, always scoped to an organization.

`keys` (organizations, API keys), `participants` (upsert, lookups, listing, enrollment), `programs`,
`state` (batched derived state and assets), `state_documents` (a page's state as columns of it),
`assets`, `tiers`.
Import the package: `crud.upsert_participant(...)`.
"""

from __future__ import annotations

from app.crud.assets import (
    assets_by_program,
    get_asset,
    insert_asset,
    link_asset,
    list_assets,
    program_ids_by_asset,
)
from app.crud.keys import (
    create_api_key,
    find_api_key,
    get_or_create_organization,
    has_organizations,
    list_api_keys,
    revoke_api_key,
    touch_api_key,
)
from app.crud.ledger import (
    entry_by_idempotency_key,
    list_journal_entries,
    lock_head,
    participant_balance,
    participant_for_ledger,
    participant_postings,
    postings_by_entry,
    program_balance,
)
from app.crud.participant_state import (
    HistoryFilter,
    external_id_holder,
    history_pages,
    is_enrolled,
    lock_participant,
    lock_participant_by_external_id,
)
from app.crud.participants import (
    ListedParticipants,
    ParticipantRow,
    enroll,
    enrolled_participants,
    list_participants,
    participants_by_external_id,
    participants_by_id,
    upsert_participant,
)
from app.crud.programs import (
    create_program,
    get_program,
    list_programs,
    programs_by_id,
)
from app.crud.state import (
    HeldBalance,
    HeldCounter,
    HeldTier,
    assets_by_id,
    balances_by_participant,
    counters_by_participant,
    programs_by_participant,
    tiers_by_participant,
)
from app.crud.state_documents import StateDocuments, StateKind
from app.crud.tiers import (
    get_tier,
    held_levels,
    insert_tier,
    levels_by_tier,
    list_tiers,
    replace_levels,
    tiers_by_program,
)

__all__ = [
    "HeldBalance",
    "HeldCounter",
    "HeldTier",
    "HistoryFilter",
    "ListedParticipants",
    "ParticipantRow",
    "StateDocuments",
    "StateKind",
    "assets_by_id",
    "assets_by_program",
    "balances_by_participant",
    "counters_by_participant",
    "create_api_key",
    "create_program",
    "enroll",
    "enrolled_participants",
    "entry_by_idempotency_key",
    "external_id_holder",
    "find_api_key",
    "get_asset",
    "get_or_create_organization",
    "get_program",
    "get_tier",
    "has_organizations",
    "held_levels",
    "history_pages",
    "insert_asset",
    "insert_tier",
    "is_enrolled",
    "levels_by_tier",
    "link_asset",
    "list_api_keys",
    "list_assets",
    "list_journal_entries",
    "list_participants",
    "list_programs",
    "list_tiers",
    "lock_head",
    "lock_participant",
    "lock_participant_by_external_id",
    "participant_balance",
    "participant_for_ledger",
    "participant_postings",
    "participants_by_external_id",
    "participants_by_id",
    "postings_by_entry",
    "program_balance",
    "program_ids_by_asset",
    "programs_by_id",
    "programs_by_participant",
    "replace_levels",
    "revoke_api_key",
    "tiers_by_participant",
    "tiers_by_program",
    "touch_api_key",
    "upsert_participant",
]
