"""Errors the service layer raises for expected, user-caused failures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "Conflict",
    "FieldError",
    "FieldPath",
    "NotFound",
    "Rejected",
    "ServiceError",
    "Unprocessable",
    "ValidationFailed",
]

#: A path into the request: ("attributes", "plan") or ("tags", 3).
FieldPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class FieldError:
    path: FieldPath
    #: One of: required, invalid, too_long, too_short, too_many, not_found.
    reason: str
    message: str


class ServiceError(Exception):
    """Base for expected failures: shown to the caller as they are, never masked."""


class ValidationFailed(ServiceError):
    """The input broke one or more rules; nothing was written."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, e.path))}: {e.message}" for e in errors))
        self.errors = list(errors)


class NotFound(ServiceError):
    """The thing asked for does not exist for this caller (or belongs to someone else).

    `field` names the argument that pointed at it, when that is not the resource itself (a
    program_id, a tier key, a level), for GraphQL's userErrors."""

    def __init__(self, message: str = "not found", *, field: FieldPath = ()) -> None:
        super().__init__(message)
        self.field = field


class Rejected(ServiceError):
    """The request is refused for a reason that has its own code (REST: `status` and `code`;
    GraphQL: a userError with that code); nothing was written."""

    status = 400

    def __init__(self, message: str, *, code: str, field: FieldPath = ()) -> None:
        super().__init__(message)
        self.code = code
        self.field = field


class Conflict(Rejected):
    """The request is well formed but clashes with what is stored (a taken symbol, an asset
    already linked, an archived tier); nothing was written. REST answers 409 with `code`."""

    status = 409

    def __init__(self, message: str, *, code: str = "conflict", field: FieldPath = ()) -> None:
        super().__init__(message, code=code, field=field)


class Unprocessable(Rejected):
    """Well formed and consistent, but the books do not allow it (insufficient balance): 422."""

    status = 422
