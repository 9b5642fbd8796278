"""Per-client rate limit (GCRA), shared by every gunicorn worker through one memory-mapped file.

Each client is a slot in a fixed table: an 8-byte keyed hash of its identity and its "theoretical
arrival time" (TAT). A request is allowed when, after adding one emission interval to the TAT, the TAT
runs at most `burst` intervals ahead of now. The table lives in a file that every worker maps, guarded
by flock (between workers) and a lock (between a worker's threads), so the limit holds for the whole
server, not per worker. Clients are never stored in clear: only hashes keyed by a random salt.
"""

from __future__ import annotations

import fcntl
import hashlib
import mmap
import os
import secrets
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

_MAGIC = b"qlrate01"
_HEADER = struct.Struct("<8sQ16s")  # magic, slot count, salt
_SLOT = struct.Struct("<Qd")  # key hash (0 = empty), TAT in time.monotonic() seconds
_PROBES = 8  # slots tried after the hashed one before the stalest is taken over


@dataclass(frozen=True)
class Decision:
    """Whether a request may go ahead, and if not, how long the client should wait."""

    allowed: bool
    retry_after_s: float = 0.0


class RateLimiter:
    """Allow each client `limit` requests per `period_s`, with bursts of up to `burst` requests."""

    def __init__(self, limit: int, period_s: float, burst: int, slots: int, path: str | None = None) -> None:
        self.limit, self.period_s, self.burst = limit, period_s, burst
        self._interval = period_s / limit
        self._tolerance = self._interval * burst
        self._slots = slots
        size = _HEADER.size + slots * _SLOT.size
        self._thread_lock = threading.Lock()
        self._fd: int | None = None
        if path:
            # O_NOFOLLOW: the file is in a shared temp folder; never follow a planted link.
            self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
            with self._locked():
                if os.fstat(self._fd).st_size != size:
                    os.ftruncate(self._fd, 0)
                    os.ftruncate(self._fd, size)
            self._map = mmap.mmap(self._fd, size)
        else:
            self._map = mmap.mmap(-1, size)
        with self._locked():
            magic, count, salt = _HEADER.unpack_from(self._map, 0)
            if magic != _MAGIC or count != slots:
                self._map[:] = bytes(size)
                salt = secrets.token_bytes(16)
                _HEADER.pack_into(self._map, 0, _MAGIC, slots, salt)
        self._salt: bytes = salt

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with self._thread_lock:
            if self._fd is None:
                yield
                return
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def _hash(self, client: str) -> int:
        digest = hashlib.blake2b(client.encode("utf-8", "surrogatepass"), digest_size=8, key=self._salt).digest()
        return int.from_bytes(digest, "little") or 1

    def _offset(self, index: int) -> int:
        return _HEADER.size + (index % self._slots) * _SLOT.size

    def _find(self, key: int, now: float) -> int:
        """Return the slot offset of this client, or of a free, stale or (last resort) the stalest slot."""
        start = key % self._slots
        claim: int | None = None
        stalest, stalest_tat = self._offset(start), float("inf")
        for probe in range(_PROBES):
            offset = self._offset(start + probe)
            owner, tat = _SLOT.unpack_from(self._map, offset)
            if owner == key:
                return offset
            if claim is None and (owner == 0 or self._stale(tat, now)):
                claim = offset
            if tat < stalest_tat:
                stalest, stalest_tat = offset, tat
        # More busy clients than slots nearby: the least recently throttled one starts afresh.
        return stalest if claim is None else claim

    def _stale(self, tat: float, now: float) -> bool:
        # A TAT in the past means a full bucket; one beyond any reachable value is from before a reboot.
        return tat <= now or tat - now > self._tolerance + self._interval

    def hit(self, client: str, now: float | None = None) -> Decision:
        """Count one request of `client`; refuse it when the client is over its limit."""
        now = time.monotonic() if now is None else now
        key = self._hash(client)
        with self._locked():
            offset = self._find(key, now)
            owner, tat = _SLOT.unpack_from(self._map, offset)
            if owner != key or self._stale(tat, now):
                tat = now
            new_tat = tat + self._interval
            excess = new_tat - now - self._tolerance
            if excess > 1e-9:
                return Decision(False, excess)
            _SLOT.pack_into(self._map, offset, key, new_tat)
        return Decision(True)
