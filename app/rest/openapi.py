"""`GET /openapi.json`: built from the same models the routes validate and answer with."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import TypeAdapter
from pydantic.json_schema import models_json_schema
from starlette.requests import Request
from starlette.responses import Response

from app.core.responses import JSONResponse
from app.rest.shapes import ErrorBody, ParticipantBody
from app.services.participant_input import ParticipantCreate

__all__ = ["openapi", "openapi_document"]

_REF = "#/components/schemas/{model}"


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": _REF.format(model="Error")}}},
    }


def _participant(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": _REF.format(model="Participant")}}},
    }


@cache
def openapi_document() -> dict[str, Any]:
    _, schemas = models_json_schema([(ParticipantCreate, "validation")], ref_template=_REF)
    components: dict[str, Any] = dict(schemas.get("$defs", {}))
    components["Participant"] = TypeAdapter(ParticipantBody).json_schema(ref_template=_REF)
    components["Error"] = TypeAdapter(ErrorBody).json_schema(ref_template=_REF)
    for schema in list(components.values()):
        components.update(schema.pop("$defs", {}))
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
                    },
                }
            },
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
