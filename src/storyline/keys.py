"""API keys: random tokens shown once at creation; the store keeps only their SHA-256.

A key is ``sl_<id>_<secret>``: the id names it in listings and logs, the secret proves it.
A fast hash is enough because the secret is 256 random bits, not a password a person chose:
there is nothing to guess, so a slow key-derivation function would only cost every request.
"""

from __future__ import annotations

import hashlib
import secrets

from .store import Store

_PREFIX = "sl"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(store: Store, name: str) -> str:
    """Make a new key named ``name``, store its hash, and return the key (it cannot be shown again)."""
    key_id = secrets.token_hex(4)
    key = f"{_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    store.add_api_key(key_id, name, hash_key(key))
    return key


def key_name(store: Store, key: str) -> str | None:
    """The name of a valid key, or None for an unknown or malformed one."""
    if not key.startswith(f"{_PREFIX}_"):
        return None
    return store.api_key_name(hash_key(key))
