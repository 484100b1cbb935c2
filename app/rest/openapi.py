"""`GET /openapi.json`: built from the same models the routes validate and answer with."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import models_json_schema
from starlette.requests import Request
from starlette.responses import Response

from app.core.responses import JSONResponse
from app.rest.listing_params import ListParams
from app.rest.programs import ProgramBody, ProgramList, ProgramListParams
from app.rest.shapes import ErrorBody, ParticipantBody, ParticipantList
from app.services.participant_input import ParticipantCreate
from app.services.programs import ProgramCreate, ProgramUpdate

__all__ = ["openapi", "openapi_document"]

_REF = "#/components/schemas/{model}"


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": _REF.format(model="Error")}}},
    }


def _json(model: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": _REF.format(model=model)}}},
    }


def _participant(description: str) -> dict[str, Any]:
    return _json("Participant", description)


def _body(model: str) -> dict[str, Any]:
    return {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": _REF.format(model=model)}}},
    }


_PROGRAM_ID = {
    "name": "program_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "format": "uuid"},
}


def _program_paths(always: dict[str, Any]) -> dict[str, Any]:
    unknown = _error("Unknown, malformed or another organization's id")
    unauthorized = _error("Missing, unknown or revoked API key")
    return {
        "/v1/programs": {
            "get": {
                "operationId": "listPrograms",
                "summary": "List programs (ARCHIVED ones only with include_archived or status)",
                "parameters": _query_parameters(ProgramListParams),
                "responses": {
                    "200": _json("ProgramList", "A page of programs"),
                    "400": _error("Bad parameter; details.fields names it"),
                    "401": unauthorized,
                    **always,
                },
            },
            "post": {
                "operationId": "createProgram",
                "summary": "Create a program (starts ACTIVE)",
                "requestBody": _body("ProgramCreate"),
                "responses": {
                    "201": _json("Program", "Program created"),
                    "400": _error("Invalid body; details.fields lists every problem"),
                    "401": unauthorized,
                    "413": _error("Body larger than 1 MiB"),
                    "415": _error("Body is not JSON"),
                    **always,
                },
            },
        },
        "/v1/programs/{program_id}": {
            "get": {
                "operationId": "getProgram",
                "summary": "Get a program",
                "parameters": [_PROGRAM_ID],
                "responses": {
                    "200": _json("Program", "The program"),
                    "401": unauthorized,
                    "404": unknown,
                    **always,
                },
            },
            "patch": {
                "operationId": "updateProgram",
                "summary": "Change a program's name, description, on_unknown_participant, status",
                "parameters": [_PROGRAM_ID],
                "requestBody": _body("ProgramUpdate"),
                "responses": {
                    "200": _json("Program", "The program as changed"),
                    "400": _error("Invalid body; details.fields lists every problem"),
                    "401": unauthorized,
                    "404": unknown,
                    "413": _error("Body larger than 1 MiB"),
                    "415": _error("Body is not JSON"),
                    **always,
                },
            },
        },
    }


def _query_parameters(model: type[BaseModel] = ListParams) -> list[dict[str, Any]]:
    schema = model.model_json_schema(by_alias=True, ref_template=_REF)
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


@cache
def openapi_document() -> dict[str, Any]:
    _, schemas = models_json_schema(
        [
            (ParticipantCreate, "validation"),
            (ProgramCreate, "validation"),
            (ProgramUpdate, "validation"),
        ],
        ref_template=_REF,
    )
    components: dict[str, Any] = dict(schemas.get("$defs", {}))
    components["Participant"] = TypeAdapter(ParticipantBody).json_schema(ref_template=_REF)
    components["Program"] = TypeAdapter(ProgramBody).json_schema(ref_template=_REF)
    components["ProgramList"] = TypeAdapter(ProgramList).json_schema(ref_template=_REF)
    components["Error"] = TypeAdapter(ErrorBody).json_schema(ref_template=_REF)
    components["ParticipantList"] = TypeAdapter(ParticipantList).json_schema(ref_template=_REF)
    for schema in list(components.values()):
        components.update(schema.pop("$defs", {}))
    always = _always()
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Loyalty participants API (Scrip-compatible)",
            "version": "1",
            "description": "GraphQL lives at /graphql; this document covers the REST routes.",
        },
        "components": {
            "schemas": components,
            "securitySchemes": {
                "ApiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                "BearerKey": {"type": "http", "scheme": "bearer"},
            },
        },
        "security": [{"ApiKeyHeader": []}, {"BearerKey": []}],
        "paths": {
            "/v1/participants": {
                "get": {
                    "operationId": "listParticipants",
                    "summary": "List participants a page at a time (keyset cursors)",
                    "parameters": _query_parameters(),
                    "responses": {
                        "200": {
                            "description": "A page of participants (slim form)",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": _REF.format(model="ParticipantList")}
                                }
                            },
                        },
                        "400": _error("Bad parameter; details.fields names it"),
                        "401": _error("Missing, unknown or revoked API key"),
                        **always,
                    },
                },
                "post": {
                    "operationId": "createParticipant",
                    "summary": "Create a participant (upsert on external_id)",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": _REF.format(model="ParticipantCreate")}
                            }
                        },
                    },
                    "responses": {
                        "201": _participant("Participant created"),
                        "200": _participant("Participant updated (already existed)"),
                        "400": _error("Invalid body; details.fields lists every problem"),
                        "401": _error("Missing, unknown or revoked API key"),
                        "413": _error("Body larger than 1 MiB"),
                        "415": _error("Body is not JSON"),
                        **always,
                    },
                },
            },
            "/v1/participants/{participant_id}": {
                "get": {
                    "operationId": "getParticipant",
                    "summary": "Get a participant with its balances, counters, tiers and programs",
                    "parameters": [
                        {
                            "name": "participant_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "format": "uuid"},
                        }
                    ],
                    "responses": {
                        "200": _participant("The participant"),
                        "401": _error("Missing, unknown or revoked API key"),
                        "404": _error("Unknown, malformed or another organization's id"),
                        **always,
                    },
                }
            },
            **_program_paths(always),
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
        },
    }


async def openapi(_: Request) -> Response:
    return JSONResponse(openapi_document())
