"""An in-memory stand-in for DurableProducer, for unit tests only.

The same paths run against the real broker in tests/integration/test_api_kafka.py.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson


class FakeProducer:
    """Record what would be produced; optionally fail every delivery."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.sent: list[tuple[str, bytes | None, bytes]] = []
        self.on_error = lambda _reason: None

    def send(self, records: Sequence[tuple[str, bytes | None, bytes]]) -> list[str | None]:
        if self.fail:
            return ["KafkaError{code=_MSG_TIMED_OUT}"] * len(records)
        self.sent.extend(records)
        return [None] * len(records)

    def ready(self, timeout_s: float = 2.0) -> bool:
        return not self.fail

    def close(self, timeout_s: float = 30.0) -> int:
        return 0

    def values(self, topic: str) -> list[dict]:
        return [orjson.loads(v) for t, _k, v in self.sent if t == topic]
