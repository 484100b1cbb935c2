"""API keys: `sk_` + 43 URL-safe random characters; only their SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping

__all__ = [
    "KEY_PREFIX",
    "api_key_from_headers",
    "generate_api_key",
    "hash_api_key",
    "key_display_prefix",
]

KEY_PREFIX = "sk_"


def generate_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def key_display_prefix(key: str) -> str:
    """Enough of the key to tell keys apart in a listing, far too little to guess the rest."""
    return key[:12]


def api_key_from_headers(headers: Mapping[str, str]) -> str | None:
    """The key from `X-API-Key: sk_…` or `Authorization: Bearer sk_…`, whichever is present."""
    key = headers.get("x-api-key")
    if key:
        return key.strip()
    scheme, _, credentials = (headers.get("authorization") or "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return None
