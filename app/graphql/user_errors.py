"""Mutation inputs in, expected refusals out: what every mutation's payload shares."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields as dataclass_fields
from decimal import Decimal
from typing import Any

from strawberry.types.unset import UNSET
from strawberry.utils.str_converters import to_camel_case

from app.graphql.types import UserError
from app.services.errors import FieldError, NotFound, Rejected, ServiceError, ValidationFailed

__all__ = ["decimal_text", "present", "refusal", "user_errors"]


def present(input_: object) -> dict[str, Any]:
    """The input's fields that were given (null included), by their snake_case names."""
    return {
        f.name: getattr(input_, f.name)
        for f in dataclass_fields(input_)  # type: ignore[arg-type]
        if getattr(input_, f.name) is not UNSET
    }


def user_errors(errors: Sequence[FieldError], *, argument: str = "input") -> list[UserError]:
    return [
        UserError(
            field=[argument, to_camel_case(str(e.path[0])), *map(str, e.path[1:])]
            if e.path
            else [argument],
            code=e.reason,
            message=e.message,
        )
        for e in errors
    ]


def refusal(exc: ServiceError, *, not_found_field: str = "id") -> list[UserError]:
    """A service's expected refusal as userErrors: invalid input, a conflict (its code, such as
    `tier_archived`), or an unknown thing (`not_found` on `not_found_field`)."""
    if isinstance(exc, ValidationFailed):
        return user_errors(exc.errors)
    if isinstance(exc, Rejected):
        return user_errors([FieldError(exc.field, exc.code, str(exc))])
    if isinstance(exc, NotFound):
        return user_errors([FieldError(exc.field or (not_found_field,), "not_found", str(exc))])
    raise exc


def decimal_text(amount: Decimal) -> str:
    """A GraphQL Decimal as the service's decimal string: plain notation for amounts of sane
    size; anything else as written (exponent form), which the service refuses.
    `format(Decimal("1e300000000"), "f")` would build 300 MB."""
    if amount.is_finite() and -64 <= amount.as_tuple().exponent <= 64:  # type: ignore[operator]
        return format(amount, "f")
    return str(amount)
