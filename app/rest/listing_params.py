"""Query parameters of `GET /v1/participants`: strings in, typed values out (ranges are the
service's business; see `app.services.participant_listing`)."""

from __future__ import annotations

import uuid
from typing import Annotated, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints
from pydantic import ValidationError as PydanticValidationError
from starlette.datastructures import QueryParams

from app.models import ParticipantStatus
from app.services.errors import ValidationFailed
from app.services.participant_input import NO_NUL, field_errors
from app.services.participant_listing import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    MAX_SEARCH_LENGTH,
    ParticipantFilter,
    SortDirection,
    SortField,
)

__all__ = ["ListParams", "parse_list_params", "parse_query"]


class ListParams(BaseModel):
    """`GET /v1/participants` query parameters. Unknown parameters are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    external_id: Annotated[str, StringConstraints(min_length=1, max_length=255), NO_NUL] | None = (
        None
    )
    # The service enforces the ranges; the schema only documents them (for /openapi.json).
    limit: int = Field(
        default=DEFAULT_PAGE_SIZE, json_schema_extra={"minimum": 1, "maximum": MAX_PAGE_SIZE}
    )
    cursor: str | None = None
    program_id: uuid.UUID | None = None
    status: ParticipantStatus | None = None
    search: str | None = Field(
        default=None, json_schema_extra={"maxLength": MAX_SEARCH_LENGTH, "pattern": "^[^\\u0000]*$"}
    )
    created_from: AwareDatetime | None = Field(default=None, alias="from")
    created_to: AwareDatetime | None = Field(default=None, alias="to")
    sort_by: SortField = SortField.CREATED_AT
    sort_dir: SortDirection = SortDirection.DESC

    def filter(self) -> ParticipantFilter:
        return ParticipantFilter.taken_from(self)


M = TypeVar("M", bound=BaseModel)


def parse_query(model: type[M], params: QueryParams) -> M:
    """A list route's query parameters as `model`; `ValidationFailed` naming each bad one."""
    try:
        return model.model_validate(dict(params))
    except PydanticValidationError as exc:
        raise ValidationFailed(field_errors(exc)) from None


def parse_list_params(params: QueryParams) -> ListParams:
    return parse_query(ListParams, params)
