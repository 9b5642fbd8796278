"""The API's side of player erasure: take requests, report their status, and know whom to refuse.

Requests and their status live in the erasure log (questlog_core.erasure, a compacted Kafka topic);
the erasure itself is done by the erasure processor (questlog_stream.erasure). Each worker follows the
log in a thread and keeps the set of erased players' hashes, so the ingest path refuses their events.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Mapping

from questlog_core.erasure import Erasure, ErasureError, ErasureLog, erasure_id, user_hash

log = logging.getLogger(__name__)


class Erasures:
    """Requests and status (read fresh from the log) and the erased set (followed in a thread)."""

    def __init__(self, config: Mapping[str, str], topic: str, key: bytes, follow_every_s: float = 0.5) -> None:
        self.config, self.topic, self.key = dict(config), topic, key
        self.follow_every_s = follow_every_s
        self._hashes: frozenset[str] = frozenset()
        self._lock = threading.Lock()
        self._pid = 0
        self._log: ErasureLog | None = None

    def hash(self, user_id: str) -> str:
        return user_hash(self.key, user_id)

    def erased(self, user_id: object) -> bool:
        """Whether events of this user_id must be refused (an erasure was requested)."""
        self._follow()
        return bool(self._hashes) and isinstance(user_id, str) and self.hash(user_id) in self._hashes

    def any(self) -> bool:
        self._follow()
        return bool(self._hashes)

    def request(self, user_id: str) -> Erasure:
        """Return the player's erasure, recording a new one (durably) when there is none."""
        hashed = self.hash(user_id)
        with self._lock:
            state = self._fresh().refresh()
            existing = state.erasures.get(hashed)
            if existing is not None:
                return existing
            erasure = Erasure(erasure_id(hashed), hashed, user_id=user_id)
            assert self._log is not None
            self._log.put(erasure)
        self._hashes = self._hashes | {hashed}
        log.info("erasure %s accepted for user %s", erasure.erasure_id, hashed[:16])
        return erasure

    def get(self, erasure: str) -> Erasure | None:
        with self._lock:
            return self._fresh().refresh().by_id(erasure)

    def _fresh(self) -> ErasureLog:
        if self._log is None:
            self._log = ErasureLog(self.config, self.topic)
        return self._log

    def _follow(self) -> None:
        """Start following the log in this process (once per gunicorn worker, after the fork)."""
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._log = None  # a reader made before a fork does not survive it
            follower = ErasureLog(self.config, self.topic)
            try:
                self._hashes = frozenset(follower.refresh(2.0).hashes())
            except ErasureError as exc:
                log.error("cannot read the erasure log yet (retrying in the background): %s", exc)
            threading.Thread(target=self._run, args=(follower,), name="erasure-follower", daemon=True).start()

    def _run(self, follower: ErasureLog) -> None:
        while True:
            try:
                self._hashes = frozenset(follower.refresh(10.0).hashes())
            except ErasureError as exc:
                log.warning("erasure log: %s", exc)
                time.sleep(5)
            time.sleep(self.follow_every_s)
