"""Keys this process authenticated recently, so most requests cost no key lookup.

An entry lives `ttl` seconds, so a key revoked by another process (the CLI, another worker) stops
working here within `ttl`; a revocation made through this process takes effect at once. Only
valid keys are cached, and the cache is a bounded LRU, so garbage keys cannot grow it.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

__all__ = ["CachedKey", "KeyCache"]


@dataclass(slots=True)
class CachedKey:
    organization_id: uuid.UUID
    api_key_id: uuid.UUID
    last_used_at: datetime | None
    expires: float


class KeyCache:
    def __init__(self, ttl: float, *, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: OrderedDict[str, CachedKey] = OrderedDict()

    def get(self, key_hash: str) -> CachedKey | None:
        entry = self._entries.get(key_hash)
        if entry is None:
            return None
        if entry.expires <= time.monotonic():
            del self._entries[key_hash]
            return None
        self._entries.move_to_end(key_hash)
        return entry

    def put(self, key_hash: str, entry: CachedKey) -> CachedKey:
        """Keep `entry` for `ttl` seconds from now (never renewed by use); returns it."""
        if self.ttl <= 0:
            return entry
        entry.expires = time.monotonic() + self.ttl
        self._entries[key_hash] = entry
        self._entries.move_to_end(key_hash)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return entry

    def forget(self, api_key_id: uuid.UUID) -> None:
        for key_hash in [h for h, e in self._entries.items() if e.api_key_id == api_key_id]:
            del self._entries[key_hash]
