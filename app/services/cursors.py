"""Opaque, tamper-evident page cursors.

A cursor carries the sort it was made for and the sort key of the last row served, as JSON, plus an
HMAC so that a cursor edited by hand is refused rather than trusted. The key comes from
`CURSOR_SECRET`, or else is derived from the database URL, so every worker of one deployment agrees.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Any

import orjson

__all__ = ["CursorCodec", "InvalidCursor"]

_VERSION = 1
_MAC_BYTES = 12


class InvalidCursor(ValueError):
    """Malformed, tampered with, or made for another listing."""


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CursorCodec:
    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"participant-cursor\x00" + secret.encode()).digest()

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:_MAC_BYTES]

    def encode(self, kind: str, key: list[Any]) -> str:
        """A cursor for listing `kind` (e.g. "created_at:desc"), positioned after `key`."""
        payload = orjson.dumps([_VERSION, kind, key])
        return f"{_b64encode(payload)}.{_b64encode(self._mac(payload))}"

    def decode(self, cursor: str, kind: str) -> list[Any]:
        """The key inside `cursor`, if it is authentic and was made for `kind`."""
        body, _, mac = cursor.partition(".")
        try:
            payload, signature = _b64decode(body), _b64decode(mac)
        except (binascii.Error, ValueError):
            raise InvalidCursor("is not a cursor this API issued") from None
        if not hmac.compare_digest(signature, self._mac(payload)):
            raise InvalidCursor("is not a cursor this API issued")
        version, cursor_kind, key = orjson.loads(payload)
        if version != _VERSION or not isinstance(key, list):
            raise InvalidCursor("is not a cursor this API issued")
        if cursor_kind != kind:
            raise InvalidCursor("was made for a different sort order; start again without it")
        return key
