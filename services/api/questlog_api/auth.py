"""Optional API-key check (header X-Api-Key), constant-time, revealing nothing about the keys."""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from questlog_api.errors import Unauthorized

HEADER = "X-Api-Key"


def check_key(presented: str | None, keys: Sequence[str]) -> None:
    """Raise Unauthorized unless the presented key equals one of the configured keys."""
    given = (presented or "").encode()
    ok = False
    for key in keys:  # compare with every key: timing must not tell which one matched
        ok |= hmac.compare_digest(given, key.encode())
    if not ok:
        raise Unauthorized(f"missing or invalid {HEADER} header")
