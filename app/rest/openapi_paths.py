"""The paths of `/openapi.json`: every REST operation, its parameters and its answers."""

from __future__ import annotations

from typing import Any

from app.rest.assets import AssetListParams, ProgramAssetListParams
from app.rest.listing_params import ListParams
from app.rest.openapi_ledger import ledger_paths
from app.rest.openapi_parts import (
    UNKNOWN,
    error,
    operation,
    path_parameter,
    query_parameters,
)
from app.rest.openapi_state import participant_state_paths
from app.rest.programs import ProgramListParams
from app.rest.tiers import TierListParams
from app.services.tiers import KEY_PATTERN

__all__ = ["paths"]

_PROGRAM_ID = path_parameter("program_id")
_ASSET_ID = path_parameter("asset_id")
_TIER_KEY = path_parameter("key", {"type": "string", "pattern": KEY_PATTERN})


def _program_paths() -> dict[str, Any]:
    bad_query = {"400": "Bad parameter; details.fields names it"}
    return {
        "/v1/programs": {
            "get": operation(
                "listPrograms",
                "List programs (ARCHIVED ones only with include_archived or status)",
                ("200", "ProgramList", "A page of programs"),
                parameters=query_parameters(ProgramListParams),
                errors=bad_query,
            ),
            "post": operation(
                "createProgram",
                "Create a program (starts ACTIVE)",
                ("201", "Program", "Program created"),
                body="ProgramCreate",
            ),
        },
        "/v1/programs/{program_id}": {
            "get": operation(
                "getProgram",
                "Get a program",
                ("200", "Program", "The program"),
                parameters=[_PROGRAM_ID],
                errors={"404": UNKNOWN},
            ),
            "patch": operation(
                "updateProgram",
                "Change a program's name, description, on_unknown_participant, status",
                ("200", "Program", "The program as changed"),
                parameters=[_PROGRAM_ID],
                body="ProgramUpdate",
                errors={"404": UNKNOWN},
            ),
        },
        "/v1/programs/{program_id}/assets": {
            "get": operation(
                "listProgramAssets",
                "List the assets linked to a program, newest first",
                ("200", "AssetList", "A page of assets"),
                parameters=[_PROGRAM_ID, *query_parameters(ProgramAssetListParams)],
                errors={**bad_query, "404": UNKNOWN},
            ),
            "post": operation(
                "linkAsset",
                "Link an existing asset to the program",
                ("201", "Asset", "The asset, with the program among its program_ids"),
                parameters=[_PROGRAM_ID],
                body="AssetLink",
                errors={"404": UNKNOWN, "409": "Linked already, or the program is archived"},
            ),
        },
        "/v1/programs/{program_id}/tiers": {
            "get": operation(
                "listTiers",
                "List a program's tier definitions by key",
                ("200", "TierList", "A page of tiers"),
                parameters=[_PROGRAM_ID, *query_parameters(TierListParams)],
                errors={**bad_query, "404": UNKNOWN},
            ),
            "post": operation(
                "createTier",
                "Define a tier with ranked levels",
                ("201", "Tier", "Tier created"),
                parameters=[_PROGRAM_ID],
                body="TierCreate",
                errors={"404": UNKNOWN, "409": "Key taken, or the program is archived"},
            ),
        },
        "/v1/programs/{program_id}/tiers/{key}": {
            "get": operation(
                "getTier",
                "Get a tier definition",
                ("200", "Tier", "The tier"),
                parameters=[_PROGRAM_ID, _TIER_KEY],
                errors={"404": "No such tier in this program"},
            ),
            "patch": operation(
                "updateTier",
                "Change a tier's display_name or levels (matched by key)",
                ("200", "Tier", "The tier as changed"),
                parameters=[_PROGRAM_ID, _TIER_KEY],
                body="TierUpdate",
                errors={
                    "404": "No such tier in this program",
                    "409": "tier_archived, or participants hold a level left out",
                },
            ),
        },
        "/v1/programs/{program_id}/tiers/{key}/archive": {
            "post": operation(
                "archiveTier",
                "Archive a tier (one-way)",
                ("200", "Tier", "The archived tier"),
                parameters=[_PROGRAM_ID, _TIER_KEY],
                errors={"404": "No such tier in this program", "409": "tier_archived"},
            ),
        },
    }


def _participant_paths() -> dict[str, Any]:
    return {
        "/v1/participants": {
            "get": operation(
                "listParticipants",
                "List participants a page at a time (keyset cursors)",
                ("200", "ParticipantList", "A page of participants (slim form)"),
                parameters=query_parameters(ListParams),
                errors={"400": "Bad parameter; details.fields names it"},
            ),
            "post": operation(
                "createParticipant",
                "Create a participant (upsert on external_id)",
                ("201", "Participant", "Participant created"),
                body="ParticipantCreate",
                also=("200", "Participant", "Participant updated (already existed)"),
            ),
        },
        "/v1/participants/{participant_id}": {
            "get": operation(
                "getParticipant",
                "Get a participant with its balances, counters, tiers and programs",
                ("200", "Participant", "The participant"),
                parameters=[path_parameter("participant_id")],
                errors={"404": UNKNOWN},
            ),
            "patch": operation(
                "updateParticipant",
                "Change profile fields, external_id, attributes (merged) or tags (replaced)",
                ("200", "Participant", "The participant as changed"),
                parameters=[path_parameter("participant_id")],
                body="ParticipantUpdate",
                errors={"404": UNKNOWN, "409": "The external_id belongs to another participant"},
            ),
        },
        **participant_state_paths(),
        **ledger_paths(),
    }


def _asset_paths() -> dict[str, Any]:
    return {
        "/v1/assets": {
            "get": operation(
                "listAssets",
                "List assets, newest first",
                ("200", "AssetList", "A page of assets"),
                parameters=query_parameters(AssetListParams),
                errors={"400": "Bad parameter; details.fields names it"},
            ),
            "post": operation(
                "createAsset",
                "Create an asset linked to program_id",
                ("201", "Asset", "Asset created"),
                body="AssetCreate",
                errors={"409": "The symbol is taken in this organization"},
            ),
        },
        "/v1/assets/{asset_id}": {
            "get": operation(
                "getAsset",
                "Get an asset",
                ("200", "Asset", "The asset"),
                parameters=[_ASSET_ID],
                errors={"404": UNKNOWN},
            ),
            "patch": operation(
                "updateAsset",
                "Change an asset's name or max_transaction_amount, or archive it (one-way)",
                ("200", "Asset", "The asset as changed"),
                parameters=[_ASSET_ID],
                body="AssetUpdate",
                errors={"404": UNKNOWN},
            ),
        },
    }


def paths() -> dict[str, Any]:
    return {
        **_participant_paths(),
        **_program_paths(),
        **_asset_paths(),
        "/healthz": {
            "get": {
                "operationId": "health",
                "summary": "200 when the database answers, 503 when it does not",
                "security": [],
                "responses": {
                    "200": {"description": "Healthy"},
                    "503": error("Database unreachable"),
                },
            }
        },
    }
