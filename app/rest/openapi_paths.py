"""The paths of `/openapi.json`: every REST operation, its parameters and its answers."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from app.rest.assets import AssetListParams, ProgramAssetListParams
from app.rest.listing_params import ListParams
from app.rest.programs import ProgramListParams
from app.rest.tiers import TierListParams
from app.services.tiers import KEY_PATTERN

__all__ = ["REF", "paths"]

REF = "#/components/schemas/{model}"


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": REF.format(model="Error")}}},
    }


def _json(model: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": REF.format(model=model)}}},
    }


def _body(model: str) -> dict[str, Any]:
    return {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": REF.format(model=model)}}},
    }


def _path_parameter(name: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": schema or {"type": "string", "format": "uuid"},
    }


_PROGRAM_ID = _path_parameter("program_id")
_ASSET_ID = _path_parameter("asset_id")
_TIER_KEY = _path_parameter("key", {"type": "string", "pattern": KEY_PATTERN})
_UNKNOWN = "Unknown, malformed or another organization's id"


def _operation(
    operation_id: str,
    summary: str,
    ok: tuple[str, str, str],
    *,
    parameters: list[dict[str, Any]] | None = None,
    body: str | None = None,
    errors: dict[str, str] | None = None,
    also: tuple[str, str, str] | None = None,
) -> dict[str, Any]:
    """An authenticated operation answering `ok` (and `also`) = (status, schema, description),
    the given `errors`, and what every operation (and every one with a JSON body) may answer."""
    answers = [ok, also] if also else [ok]
    responses = {status: _json(model, text) for status, model, text in answers}
    if body is not None:
        responses["400"] = _error("Invalid body; details.fields lists every problem")
        responses["413"] = _error("Body larger than 1 MiB")
        responses["415"] = _error("Body is not JSON")
    responses.update({code: _error(text) for code, text in (errors or {}).items()})
    responses["401"] = _error("Missing, unknown or revoked API key")
    responses.update(_always())
    operation: dict[str, Any] = {"operationId": operation_id, "summary": summary}
    if parameters:
        operation["parameters"] = parameters
    if body is not None:
        operation["requestBody"] = _body(body)
    operation["responses"] = responses
    return operation


def _program_paths() -> dict[str, Any]:
    bad_query = {"400": "Bad parameter; details.fields names it"}
    return {
        "/v1/programs": {
            "get": _operation(
                "listPrograms",
                "List programs (ARCHIVED ones only with include_archived or status)",
                ("200", "ProgramList", "A page of programs"),
                parameters=_query_parameters(ProgramListParams),
                errors=bad_query,
            ),
            "post": _operation(
                "createProgram",
                "Create a program (starts ACTIVE)",
                ("201", "Program", "Program created"),
                body="ProgramCreate",
            ),
        },
        "/v1/programs/{program_id}": {
            "get": _operation(
                "getProgram",
                "Get a program",
                ("200", "Program", "The program"),
                parameters=[_PROGRAM_ID],
                errors={"404": _UNKNOWN},
            ),
            "patch": _operation(
                "updateProgram",
                "Change a program's name, description, on_unknown_participant, status",
                ("200", "Program", "The program as changed"),
                parameters=[_PROGRAM_ID],
                body="ProgramUpdate",
                errors={"404": _UNKNOWN},
            ),
        },
        "/v1/programs/{program_id}/assets": {
            "get": _operation(
                "listProgramAssets",
                "List the assets linked to a program, newest first",
                ("200", "AssetList", "A page of assets"),
                parameters=[_PROGRAM_ID, *_query_parameters(ProgramAssetListParams)],
                errors={**bad_query, "404": _UNKNOWN},
            ),
            "post": _operation(
                "linkAsset",
                "Link an existing asset to the program",
                ("201", "Asset", "The asset, with the program among its program_ids"),
                parameters=[_PROGRAM_ID],
                body="AssetLink",
                errors={"404": _UNKNOWN, "409": "Linked already, or the program is archived"},
            ),
        },
        "/v1/programs/{program_id}/tiers": {
            "get": _operation(
                "listTiers",
                "List a program's tier definitions by key",
                ("200", "TierList", "A page of tiers"),
                parameters=[_PROGRAM_ID, *_query_parameters(TierListParams)],
                errors={**bad_query, "404": _UNKNOWN},
            ),
            "post": _operation(
                "createTier",
                "Define a tier with ranked levels",
                ("201", "Tier", "Tier created"),
                parameters=[_PROGRAM_ID],
                body="TierCreate",
                errors={"404": _UNKNOWN, "409": "Key taken, or the program is archived"},
            ),
        },
        "/v1/programs/{program_id}/tiers/{key}": {
            "get": _operation(
                "getTier",
                "Get a tier definition",
                ("200", "Tier", "The tier"),
                parameters=[_PROGRAM_ID, _TIER_KEY],
                errors={"404": "No such tier in this program"},
            ),
            "patch": _operation(
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
            "post": _operation(
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
            "get": _operation(
                "listParticipants",
                "List participants a page at a time (keyset cursors)",
                ("200", "ParticipantList", "A page of participants (slim form)"),
                parameters=_query_parameters(ListParams),
                errors={"400": "Bad parameter; details.fields names it"},
            ),
            "post": _operation(
                "createParticipant",
                "Create a participant (upsert on external_id)",
                ("201", "Participant", "Participant created"),
                body="ParticipantCreate",
                also=("200", "Participant", "Participant updated (already existed)"),
            ),
        },
        "/v1/participants/{participant_id}": {
            "get": _operation(
                "getParticipant",
                "Get a participant with its balances, counters, tiers and programs",
                ("200", "Participant", "The participant"),
                parameters=[_path_parameter("participant_id")],
                errors={"404": _UNKNOWN},
            ),
        },
    }


def _asset_paths() -> dict[str, Any]:
    return {
        "/v1/assets": {
            "get": _operation(
                "listAssets",
                "List assets, newest first",
                ("200", "AssetList", "A page of assets"),
                parameters=_query_parameters(AssetListParams),
                errors={"400": "Bad parameter; details.fields names it"},
            ),
            "post": _operation(
                "createAsset",
                "Create an asset linked to program_id",
                ("201", "Asset", "Asset created"),
                body="AssetCreate",
                errors={"409": "The symbol is taken in this organization"},
            ),
        },
        "/v1/assets/{asset_id}": {
            "get": _operation(
                "getAsset",
                "Get an asset",
                ("200", "Asset", "The asset"),
                parameters=[_ASSET_ID],
                errors={"404": _UNKNOWN},
            ),
            "patch": _operation(
                "updateAsset",
                "Change an asset's name or max_transaction_amount, or archive it (one-way)",
                ("200", "Asset", "The asset as changed"),
                parameters=[_ASSET_ID],
                body="AssetUpdate",
                errors={"404": _UNKNOWN},
            ),
        },
    }


def _query_parameters(model: type[BaseModel] = ListParams) -> list[dict[str, Any]]:
    schema = model.model_json_schema(by_alias=True, ref_template=REF)
    definitions = schema.get("$defs", {})
    parameters = []
    for name, prop in schema["properties"].items():
        parameters.append(
            {"name": name, "in": "query", "required": False, "schema": _inline(prop, definitions)}
        )
    return parameters


def _inline(prop: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    """Parameter schemas with enum references resolved in place."""
    if "$ref" in prop:
        return dict(definitions[prop["$ref"].rsplit("/", 1)[-1]])
    if "anyOf" in prop:
        return {**prop, "anyOf": [_inline(p, definitions) for p in prop["anyOf"]]}
    return prop


def _always() -> dict[str, Any]:
    """Answers any authenticated operation may give."""
    return {
        "429": _error("Rate limit exceeded (when enabled); see Retry-After"),
        "500": _error("Unexpected failure; details.request_id identifies it in the logs"),
        "503": _error("Database unavailable; retry after Retry-After seconds"),
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
                    "503": _error("Database unreachable"),
                },
            }
        },
    }
