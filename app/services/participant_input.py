"""The rules for participant input (CONTRACT §3), shared by both faces.

Both faces hand over a plain mapping with snake_case keys. `null` means the same as leaving a
field out; an empty string clears a profile field. Unknown fields are refused, so that a typo
never passes silently.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from typing import Annotated, Any, TypeVar

from annotated_types import MaxLen
from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    GetJsonSchemaHandler,
    StringConstraints,
)
from pydantic import ValidationError as PydanticValidationError
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, ErrorDetails, PydanticCustomError

from app.models import ParticipantStatus
from app.services.errors import FieldError, ValidationFailed
from app.services.text_rules import is_storable_text, no_controls, not_blank, storable

__all__ = [
    "MAX_ATTRIBUTES",
    "MAX_TAGS",
    "PROFILE_FIELDS",
    "AttributeKey",
    "AttributeValue",
    "Attributes",
    "ParticipantCreate",
    "ParticipantUpdate",
    "Tag",
    "Tags",
    "field_errors",
    "is_storable_text",
    "parse_input",
    "parse_participant_create",
]

MAX_ATTRIBUTES = 100
MAX_TAGS = 100
PROFILE_FIELDS = ("email", "phone", "first_name", "last_name", "display_name")


def _email(value: str) -> str:
    if value == "":
        return value
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise PydanticCustomError(
            "invalid", "is not a valid email address: {why}", {"why": str(exc)}
        ) from None


def _tag_set(tags: list[str]) -> list[str]:
    unique = list(dict.fromkeys(tag.lower() for tag in tags))
    for tag in unique:
        if len(tag) > 255:
            raise PydanticCustomError(
                "tag_too_long", "must be at most 255 characters once lower-cased"
            )
    if len(unique) > MAX_TAGS:
        raise PydanticCustomError("too_many", f"must hold at most {MAX_TAGS} distinct tags")
    return unique


class Documented:
    """Adds keywords to a type's JSON schema (for /openapi.json) without changing validation,
    which stays with the validators above and their precise error reasons."""

    def __init__(self, **keywords: Any) -> None:
        self.keywords = keywords

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema.update(self.keywords)
        return schema


_CONTROLS = "\\u0000-\\u001f\\u007f-\\u009f"  # Unicode category Cc
NO_CONTROLS = Documented(pattern=f"^[^{_CONTROLS}]*$")
NO_NUL = Documented(pattern="^[^\\u0000]*$")

ExternalId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=255),
    AfterValidator(no_controls),
    AfterValidator(not_blank),
    Documented(pattern=f"^[^{_CONTROLS}]*[^\\s{_CONTROLS}][^{_CONTROLS}]*$"),
]
Email = Annotated[
    str,
    StringConstraints(max_length=255),
    AfterValidator(_email),
    Documented(anyOf=[{"format": "idn-email"}, {"const": ""}]),
]
Phone = Annotated[str, StringConstraints(max_length=50), AfterValidator(no_controls), NO_CONTROLS]
Name = Annotated[str, StringConstraints(max_length=255), AfterValidator(storable), NO_NUL]
AttributeKey = Annotated[
    str, StringConstraints(min_length=1, max_length=100), AfterValidator(no_controls)
]
AttributeValue = Annotated[
    str, StringConstraints(max_length=1000), AfterValidator(storable), NO_NUL
]
Attributes = Annotated[
    dict[AttributeKey, AttributeValue],
    MaxLen(MAX_ATTRIBUTES),
    Documented(propertyNames={"minLength": 1, "maxLength": 100, "pattern": f"^[^{_CONTROLS}]*$"}),
]
Tag = Annotated[
    str, StringConstraints(min_length=1, max_length=255), AfterValidator(no_controls), NO_CONTROLS
]


Tags = Annotated[
    list[Tag],
    AfterValidator(_tag_set),
    Documented(description=f"At most {MAX_TAGS} distinct once lower-cased."),
]


class ParticipantCreate(BaseModel):
    """Body of `POST /v1/participants` and `CreateParticipantInput`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    external_id: ExternalId
    program_id: uuid.UUID | None = None
    status: ParticipantStatus | None = None
    email: Email | None = None
    phone: Phone | None = None
    first_name: Name | None = None
    last_name: Name | None = None
    display_name: Name | None = None
    attributes: Attributes | None = None
    tags: Tags | None = None

    def column_values(self) -> dict[str, Any]:
        """The participant columns this input sets (a cleared profile field becomes NULL)."""
        return _column_values(self.model_dump(exclude_none=True, exclude={"program_id"}))


def _column_values(values: dict[str, Any]) -> dict[str, Any]:
    for name in PROFILE_FIELDS:
        if values.get(name) == "":
            values[name] = None
    return values


class ParticipantUpdate(BaseModel):
    """Body of `PATCH /v1/participants/{id}` and `UpdateParticipantInput` (status has its own
    route). Left out or null: unchanged; "" clears a profile field."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    external_id: ExternalId | None = None
    email: Email | None = None
    phone: Phone | None = None
    first_name: Name | None = None
    last_name: Name | None = None
    display_name: Name | None = None
    attributes: Attributes | None = None
    tags: Tags | None = None

    def column_values(self) -> dict[str, Any]:
        """The profile columns this input sets (attributes and tags aside)."""
        return _column_values(self.model_dump(exclude_none=True, exclude={"attributes", "tags"}))


M = TypeVar("M", bound=BaseModel)


def parse_input(
    model: type[M],
    data: Mapping[str, Any],
    *,
    nullable: Collection[str] = (),
    errors: Sequence[FieldError] = (),
) -> M:
    """`data` as `model`, or `ValidationFailed` listing every problem (with `errors` found before).

    A null means the same as leaving the field out, except for the `nullable` fields, where it
    is kept (for example, to clear a limit).
    """
    present = {key: value for key, value in data.items() if value is not None or key in nullable}
    try:
        parsed = model.model_validate(present)
    except PydanticValidationError as exc:
        raise ValidationFailed([*errors, *field_errors(exc)]) from None
    if errors:
        raise ValidationFailed(errors)
    return parsed


def parse_participant_create(data: Mapping[str, Any]) -> ParticipantCreate:
    """Validate `data`, raising `ValidationFailed` with every problem found."""
    return parse_input(ParticipantCreate, data)


def field_errors(exc: PydanticValidationError) -> list[FieldError]:
    """Pydantic's errors in the API's words (reasons: required, invalid, too_long, …)."""
    return [_field_error(error) for error in exc.errors()]


_REASONS = {
    "missing": "required",
    "string_too_short": "too_short",
    "string_too_long": "too_long",
    "too_long": "too_many",
    "too_short": "too_short",
    "invalid": "invalid",
    "too_many": "too_many",
    "tag_too_long": "too_long",
    "json_too_long": "too_long",
}


def _field_error(error: ErrorDetails) -> FieldError:
    path = tuple(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        return FieldError(path, "invalid", "is not a known field")
    if path and path[-1] == "[key]":
        path = path[:-1]
    reason = _REASONS.get(kind, "invalid")
    return FieldError(path, reason, _message(kind, error))


def _message(kind: str, error: ErrorDetails) -> str:
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "is required"
    if kind == "string_too_short":
        minimum = ctx.get("min_length")
        return "must not be empty" if minimum == 1 else f"must be at least {minimum} characters"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters"
    if kind == "too_long":
        return f"must hold at most {ctx.get('max_length')} items"
    if kind == "string_unicode":
        return "must be valid Unicode text"
    if kind == "string_type":
        return "must be a string"
    if kind == "dict_type":
        return "must be an object"
    if kind == "list_type":
        return "must be a list"
    if kind == "enum":
        return f"must be one of {ctx.get('expected')}"
    if kind.startswith("uuid"):
        return "must be a UUID"
    if kind.startswith("int"):
        return "must be a whole number"
    if kind.startswith("datetime") or kind == "timezone_aware":
        return "must be an RFC 3339 timestamp with an offset, e.g. 2024-01-15T10:30:00Z"
    return error["msg"]
