"""Who makes a change, and when: what every write is stamped with."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

__all__ = ["Actor"]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who writes, and when: every change is stamped with both.

    `now` is read from `clock` when the request starts. A write that must wait for a lock
    (a participant's row, the ledger's chain head) stamps itself again once it holds it
    (`restamped`), so that changes are stamped in the order they were applied."""

    organization_id: uuid.UUID
    api_key_id: uuid.UUID | None
    clock: Callable[[], datetime]
    now: datetime

    @classmethod
    def at(
        cls,
        organization_id: uuid.UUID,
        api_key_id: uuid.UUID | None,
        clock: Callable[[], datetime],
    ) -> Actor:
        return cls(organization_id=organization_id, api_key_id=api_key_id, clock=clock, now=clock())

    def restamped(self) -> Actor:
        """The same actor, as of now."""
        return replace(self, now=self.clock())
