"""Optional API-key check (header X-Api-Key), constant-time, revealing nothing about the keys."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

HEADER = "X-Api-Key"


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).digest()


def key_matches(presented: str | None, keys: Sequence[str]) -> bool:
    """Return whether the presented key equals one of the configured keys, in constant time."""
    # Equal-length digests: compare_digest's time then tells nothing about the keys' lengths either.
    given = _digest(presented or "")
    ok = False
    for key in keys:  # compare with every key: timing must not tell which one matched
        ok |= hmac.compare_digest(given, _digest(key))
    return ok and presented is not None
