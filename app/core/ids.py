"""Identifiers that sort by creation time (UUID version 7 layout, RFC 9562)."""

from __future__ import annotations

import os
import threading
import time
import uuid

__all__ = ["time_ordered_uuid"]

_lock = threading.Lock()
_last = 0


def time_ordered_uuid() -> uuid.UUID:
    """A UUIDv7: 48 bits of Unix milliseconds, then a 12-bit sequence, then random bits.

    Within this process each one sorts after the previous, even within one millisecond, so rows
    written together (a state history of one request) keep their order when sorted by id.
    """
    global _last
    with _lock:
        # (milliseconds << 12 | sequence), never going backwards.
        _last = max(_last + 1, time.time_ns() // 1_000_000 << 12)
        stamp = _last
    random_bits = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (stamp >> 12) << 80 | 0x7 << 76 | (stamp & 0xFFF) << 64 | 0b10 << 62 | random_bits
    return uuid.UUID(int=value)
