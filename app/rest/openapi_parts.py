"""Building blocks of `/openapi.json`: answers, parameters and operations."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

__all__ = [
    "REF",
    "UNKNOWN",
    "always",
    "error",
    "json_answer",
    "operation",
    "path_parameter",
    "query_parameters",
    "request_body",
]

REF = "#/components/schemas/{model}"
UNKNOWN = "Unknown, malformed or another organization's id"


def error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": REF.format(model="Error")}}},
    }


def json_answer(model: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": REF.format(model=model)}}},
    }


def request_body(model: str) -> dict[str, Any]:
    return {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": REF.format(model=model)}}},
    }


def path_parameter(name: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": schema or {"type": "string", "format": "uuid"},
    }


def operation(
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
    responses = {
        status: json_answer(model, text) if model else {"description": text}
        for status, model, text in answers
    }
    if body is not None:
        responses["400"] = error("Invalid body; details.fields lists every problem")
        responses["413"] = error("Body larger than 1 MiB")
        responses["415"] = error("Body is not JSON")
    responses.update({code: error(text) for code, text in (errors or {}).items()})
    responses["401"] = error("Missing, unknown or revoked API key")
    responses.update(always())
    operation: dict[str, Any] = {"operationId": operation_id, "summary": summary}
    if parameters:
        operation["parameters"] = parameters
    if body is not None:
        operation["requestBody"] = request_body(body)
    operation["responses"] = responses
    return operation


def query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
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


def always() -> dict[str, Any]:
    """Answers any authenticated operation may give."""
    return {
        "429": error("Rate limit exceeded (when enabled); see Retry-After"),
        "500": error("Unexpected failure; details.request_id identifies it in the logs"),
        "503": error("Database unavailable; retry after Retry-After seconds"),
    }
