"""An in-memory stand-in for DurableProducer, for unit tests only.

The same paths run against the real broker in tests/integration/test_api_kafka.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import orjson

Record = tuple[str, bytes | None, bytes]
TIMED_OUT = "KafkaError{code=_MSG_TIMED_OUT}"


class FakeProducer:
    """Record what would be produced; fail every delivery, or only the records `fails(record)` picks."""

    def __init__(self, fail: bool = False, fails: Callable[[Record], bool] | None = None) -> None:
        self.fail = fail
        self.fails = fails or (lambda _record: fail)
        self.sent: list[Record] = []
        self.on_error = lambda _reason: None

    def send(self, records: Sequence[Record]) -> list[str | None]:
        errors: list[str | None] = []
        for record in records:
            if self.fails(record):
                errors.append(TIMED_OUT)
            else:
                self.sent.append(record)
                errors.append(None)
        return errors

    def ready(self, timeout_s: float = 2.0) -> bool:
        return not self.fail

    def close(self, timeout_s: float = 30.0) -> int:
        return 0

    def values(self, topic: str) -> list[dict]:
        return [orjson.loads(v) for t, _k, v in self.sent if t == topic]


class FakeErasures:
    """In-memory stand-in for questlog_api.erasures.Erasures (the real one runs in tests/e2e/test_erasure.py)."""

    def __init__(self, erased: Sequence[str] = ()) -> None:
        from questlog_core.erasure import Erasure, erasure_id

        self._make = lambda user: Erasure(erasure_id("h-" + user), "h-" + user, user_id=user)
        self.book = {user: self._make(user) for user in erased}

    def any(self) -> bool:
        return bool(self.book)

    def erased(self, user_id: object) -> bool:
        return user_id in self.book

    def request(self, user_id: str):
        return self.book.setdefault(user_id, self._make(user_id))

    def get(self, erasure: str):
        return next((e for e in self.book.values() if e.erasure_id == erasure), None)
