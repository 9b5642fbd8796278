"""A gunicorn gthread worker that gives every request a deadline to arrive (slow-loris protection).

gunicorn's gthread worker parses a request in a pool thread on a blocking socket with no timeout, and
its `timeout` setting only watches the worker process. A client that sends one byte now and then
holds a thread for as long as it likes; `threads` such clients per worker stop the API. Here each
request (request line, headers and body) must arrive within `read_timeout_s` of its first byte.
"""

from __future__ import annotations

import socket
import time
from typing import Any

from gunicorn.http.errors import NoMoreData
from gunicorn.workers.gthread import ThreadWorker


class ReadTimeout(NoMoreData, TimeoutError):  # type: ignore[misc]
    """The request did not arrive in time (gunicorn drops the connection quietly, like a hang-up)."""


class DeadlineSocket:
    """Wrap a client socket so every read waits at most until the current request's deadline."""

    def __init__(self, sock: socket.socket, timeout_s: float) -> None:
        self._sock = sock
        self._timeout_s = timeout_s
        self._deadline = time.monotonic() + timeout_s

    def start_request(self) -> None:
        """Start the clock for the next request on this connection."""
        self._deadline = time.monotonic() + self._timeout_s

    def recv(self, size: int) -> bytes:
        # Past the deadline, still take what has already arrived (a request that waited in the
        # thread pool's queue), but wait for nothing more.
        self._sock.settimeout(max(0.0, self._deadline - time.monotonic()))
        try:
            return self._sock.recv(size)
        except (TimeoutError, BlockingIOError) as exc:
            raise ReadTimeout(f"request not received within {self._timeout_s:g} s") from exc

    def send(self, data: bytes) -> int:
        self._sock.settimeout(self._timeout_s)
        return self._sock.send(data)

    def sendall(self, data: bytes) -> None:
        self._sock.settimeout(self._timeout_s)
        self._sock.sendall(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class DeadlineThreadWorker(ThreadWorker):  # type: ignore[misc]
    """gthread worker whose requests must arrive within `read_timeout_s` (set from gunicorn.conf.py)."""

    read_timeout_s = 15.0

    def enqueue_req(self, conn: Any) -> None:
        if not isinstance(conn.sock, DeadlineSocket):
            conn.sock = DeadlineSocket(conn.sock, self.read_timeout_s)
        conn.sock.start_request()
        super().enqueue_req(conn)
