"""Optional API-key check (header X-Api-Key, or an SDK's write key as the user of HTTP basic auth),
constant-time, revealing nothing about the keys."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import Any

HEADER = "X-Api-Key"


def presented_key(headers: Any, authorization: Any) -> str | None:
    """The key a request presents: X-Api-Key, else the user of HTTP basic auth (Segment-spec SDKs send
    their write key that way, with an empty password)."""
    key = headers.get(HEADER)
    if key is None and authorization is not None and authorization.type == "basic":
        key = authorization.username or None
    return key  # type: ignore[no-any-return]


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
