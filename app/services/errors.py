"""Errors the service layer raises for expected, user-caused failures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["FieldError", "FieldPath", "NotFound", "ServiceError", "ValidationFailed"]

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
    """The thing asked for does not exist for this caller (or belongs to someone else)."""
