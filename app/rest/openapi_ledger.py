"""`/openapi.json` paths of balances, balance operations, program wallets and the journal."""

from __future__ import annotations

from typing import Any

from app.rest.balances import ActivityParams, AssetParam, EntryParams
from app.rest.openapi_parts import UNKNOWN, operation, path_parameter, query_parameters

__all__ = ["ledger_paths"]

_PARTICIPANT = path_parameter("participant_id")
_PROGRAM = path_parameter("program_id")
_ASSET = path_parameter("asset_id")
_BASE = "/v1/participants/{participant_id}"
_REFUSED = {
    "400": "Invalid body, invalid_scale or amount_exceeds_limit; details.fields names the field",
    "404": UNKNOWN,
    "409": "participant_inactive, program_archived, asset_archived or idempotency_conflict",
    "422": "insufficient_balance",
}


def _move(name: str, summary: str) -> dict[str, Any]:
    return {
        "post": operation(
            f"{name}ParticipantBalance",
            summary,
            ("200", "MoveBody", "Done (or the original answer to a replayed idempotency_key)"),
            parameters=[_PARTICIPANT],
            body="BucketRequest",
            errors=_REFUSED,
        )
    }


def _wallet(name: str, summary: str) -> dict[str, Any]:
    return {
        "post": operation(
            f"{name}ProgramWallet",
            summary,
            ("200", "WalletBody", "The wallet afterwards (no entry for an UNLIMITED asset)"),
            parameters=[_PROGRAM, _ASSET],
            body="WalletRequest",
            errors={**_REFUSED, "404": "Unknown program or asset, or not linked"},
        )
    }


def ledger_paths() -> dict[str, Any]:
    return {
        f"{_BASE}/balances": {
            "get": operation(
                "listParticipantBalances",
                "The participant's balances per asset",
                ("200", "BalanceList", "Balances (one page)"),
                parameters=[_PARTICIPANT, *query_parameters(AssetParam)],
                errors={"400": "Bad parameter", "404": UNKNOWN},
            )
        },
        f"{_BASE}/balances/adjust": {
            "post": operation(
                "adjustParticipantBalance",
                "CREDIT or DEBIT a participant's bucket",
                ("200", "AdjustBody", "Done (or the original answer to a replayed key)"),
                parameters=[_PARTICIPANT],
                body="AdjustRequest",
                errors=_REFUSED,
            )
        },
        f"{_BASE}/balances/hold": _move("hold", "AVAILABLE → HELD"),
        f"{_BASE}/balances/release": _move("release", "HELD → AVAILABLE"),
        f"{_BASE}/balances/forfeit": _move("forfeit", "A bucket → SYSTEM_BREAKAGE"),
        f"{_BASE}/activity/history": {
            "get": operation(
                "listParticipantActivity",
                "Postings on the participant's accounts, newest first",
                ("200", "ActivityList", "A page of postings"),
                parameters=[_PARTICIPANT, *query_parameters(ActivityParams)],
                errors={"400": "Bad parameter", "404": UNKNOWN},
            )
        },
        "/v1/programs/{program_id}/balance": {
            "get": operation(
                "getProgramWallet",
                "The program's wallet of each PREFUNDED asset linked to it",
                ("200", "WalletList", "Wallet balances"),
                parameters=[_PROGRAM],
                errors={"404": UNKNOWN},
            )
        },
        "/v1/programs/{program_id}/assets/{asset_id}/fund": _wallet(
            "fund", "SYSTEM_ISSUANCE → the program's wallet"
        ),
        "/v1/programs/{program_id}/assets/{asset_id}/burn": _wallet(
            "burn", "The program's wallet → SYSTEM_BREAKAGE"
        ),
        "/v1/journal-entries": {
            "get": operation(
                "listJournalEntries",
                "Journal entries with their postings, newest first",
                ("200", "EntryList", "A page of entries"),
                parameters=query_parameters(EntryParams),
                errors={"400": "Bad parameter"},
            )
        },
        "/v1/journal-entries/{entry_id}": {
            "get": operation(
                "getJournalEntry",
                "One journal entry with its postings and hashes",
                ("200", "JournalEntry", "The entry"),
                parameters=[path_parameter("entry_id")],
                errors={"404": UNKNOWN},
            )
        },
    }
