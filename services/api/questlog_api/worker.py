"""A gunicorn gthread worker that no idle, slow or flooding client can hold down.

gunicorn 23's gthread worker has three weak spots, all reproduced against this API:
- A connection that never sends a byte is never timed out: the read deadline starts only once a
  socket is readable, and it is not a keep-alive connection either, so nothing ever closes it.
- At `worker_connections` the loop stops polling its sockets and waits on request futures; with no
  request running that wait returns at once, so the worker busy-waits, never sees the idle sockets
  close (they stay in CLOSE-WAIT) and never accepts again: ~2,100 idle connections took the API down
  for good.
- A request is parsed in a pool thread on a blocking socket, so a client that trickles its headers
  holds a thread; `threads` such clients per worker starve everyone else.

Here:
- every connection has a deadline from accept (or, on a kept-alive connection, from the first byte of
  its next request): its request line, headers and body must arrive within `read_timeout_s`;
- the request head is read in the event loop, without a thread; a connection goes to the thread
  pool only once its headers are complete (or too large, which the parser then refuses with a 400);
- the loop always polls, so hang-ups are seen at once, and at `worker_connections` the oldest
  connection that has no request in a thread (idle, still sending its head, or kept alive) is closed
  to admit the new one. A flood of idle sockets therefore evicts itself, and other clients still get
  answers while it lasts.
"""

from __future__ import annotations

import collections
import contextlib
import errno
import selectors
import socket
import time
from concurrent import futures
from functools import partial
from typing import Any

from gunicorn.http.errors import NoMoreData
from gunicorn.workers.gthread import TConn, ThreadWorker

# Bytes read per event-loop read, and the most a request head may hold before it goes to the parser
# (which refuses it with 400 past its own limits: limit_request_line, _fields, _field_size).
_CHUNK = 65536
_HEAD_LIMIT = 256 * 1024
_END_OF_HEAD = b"\r\n\r\n"


class ReadTimeout(NoMoreData, TimeoutError):  # type: ignore[misc]
    """The request did not arrive in time (gunicorn drops the connection quietly, like a hang-up)."""


class DeadlineSocket:
    """Wrap a client socket so every read waits at most until the current request's deadline, and
    hand the parser the bytes the event loop already read."""

    def __init__(self, sock: socket.socket, timeout_s: float) -> None:
        self._sock = sock
        self._timeout_s = timeout_s
        self._deadline = time.monotonic() + timeout_s
        self._pending = b""

    @property
    def raw(self) -> socket.socket:
        return self._sock

    def start_request(self, deadline: float | None = None, pending: bytes = b"") -> None:
        """Start the next request on this connection: its deadline (default: now + the timeout) and
        the bytes of it that have already been read."""
        self._deadline = time.monotonic() + self._timeout_s if deadline is None else deadline
        self._pending = pending

    def recv(self, size: int) -> bytes:
        if self._pending:
            data, self._pending = self._pending[:size], self._pending[size:]
            return data
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
    """gthread worker with per-connection deadlines, request heads read in the event loop and
    eviction of the oldest waiting connection at `worker_connections` (set from gunicorn.conf.py)."""

    read_timeout_s = 15.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.cfg.is_ssl:
            raise RuntimeError("DeadlineThreadWorker reads plain HTTP: terminate TLS in front of the API")
        # Connections whose request is still arriving in the event loop: conn -> (deadline, head so
        # far); the deque holds (deadline, conn) in deadline order (every deadline is now + the same
        # timeout), stale entries skipped when popped.
        self._waiting: dict[TConn, tuple[float, bytes]] = {}
        self._waiting_order: collections.deque[tuple[float, TConn]] = collections.deque()
        self.evicted = 0
        self._evicted_logged = (0, 0.0)

    # -- connections -------------------------------------------------------------------------

    def accept(self, server: Any, listener: socket.socket) -> None:
        try:
            sock, client = listener.accept()
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        with self._lock:
            if self.nr_conns >= self.worker_connections and not self._evict_one():
                # Every connection has a request in a thread: shed this one rather than queue it.
                sock.close()
                return
            conn = TConn(self.cfg, DeadlineSocket(sock, self.read_timeout_s), client, server)
            self.nr_conns += 1
            self._wait(conn, time.monotonic() + self.read_timeout_s)
            self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_client_socket_readable, conn))

    def _wait(self, conn: TConn, deadline: float, head: bytes = b"") -> None:
        self._waiting[conn] = (deadline, head)
        self._waiting_order.append((deadline, conn))

    def _close(self, conn: TConn) -> None:
        """Forget a connection the event loop owns (waiting or kept alive) and close it. Holds the lock."""
        self._waiting.pop(conn, None)
        with contextlib.suppress(KeyError, ValueError, OSError):
            self.poller.unregister(conn.sock)
        self.nr_conns -= 1
        conn.close()

    def _evict_one(self) -> bool:
        """Close the oldest connection that has no request in a thread. Holds the lock."""
        while self._waiting_order:
            deadline, conn = self._waiting_order.popleft()
            if self._waiting.get(conn, (None,))[0] == deadline:
                self._close(conn)
                self.evicted += 1
                return True
        if self._keep:
            conn = self._keep.popleft()
            self._close(conn)
            self.evicted += 1
            return True
        return False

    def _murder_waiting(self) -> None:
        """Close connections whose request did not arrive by its deadline."""
        now = time.monotonic()
        with self._lock:
            while self._waiting_order and self._waiting_order[0][0] <= now:
                deadline, conn = self._waiting_order.popleft()
                if self._waiting.get(conn, (None,))[0] == deadline:
                    self._close(conn)

    def on_client_socket_readable(self, conn: TConn, client: Any) -> None:
        with self._lock:
            if conn not in self._waiting:
                # A kept-alive connection starts its next request: its deadline runs from now.
                try:
                    self._keep.remove(conn)
                except ValueError:
                    return  # closed by murder_keepalived meanwhile
                self._wait(conn, time.monotonic() + self.read_timeout_s)
            deadline, head = self._waiting[conn]
            raw = conn.sock.raw
            try:
                raw.setblocking(False)
                data = raw.recv(_CHUNK)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                data = b""
            if not data:  # the client hung up
                self._close(conn)
                return
            head += data
            if _END_OF_HEAD not in head and len(head) < _HEAD_LIMIT:
                self._waiting[conn] = (deadline, head)
                return
            del self._waiting[conn]
            self.poller.unregister(conn.sock)
        conn.sock.start_request(deadline, head)
        conn.init()
        fs = self.tpool.submit(self.handle, conn)
        self._wrap_future(fs, conn)

    def _log_evictions(self) -> None:
        """Say, at most every 10 s, how many connections were evicted to admit new ones."""
        count, at = self._evicted_logged
        now = time.monotonic()
        if self.evicted != count and now - at >= 10.0:
            self.log.warning(
                "at worker_connections (%d): closed %d waiting connections to admit new ones",
                self.worker_connections,
                self.evicted - count,
            )
            self._evicted_logged = (self.evicted, now)

    # -- the loop ------------------------------------------------------------------------------

    def run(self) -> None:
        for sock in self.sockets:
            sock.setblocking(False)
            server = sock.getsockname()
            self.poller.register(sock, selectors.EVENT_READ, partial(self.accept, server))

        while self.alive:
            self.notify()
            # Always poll, also at worker_connections: hang-ups and new requests are seen at once,
            # and accept() makes room by evicting the oldest waiting connection.
            for key, _ in self.poller.select(1.0):
                key.data(key.fileobj)
            result = futures.wait(self.futures, timeout=0, return_when=futures.FIRST_COMPLETED)
            for fut in result.done:
                self.futures.remove(fut)
            if not self.is_parent_alive():
                break
            self.murder_keepalived()
            self._murder_waiting()
            self._log_evictions()

        self.tpool.shutdown(False)
        self.poller.close()
        for s in self.sockets:
            s.close()
        futures.wait(self.futures, timeout=self.cfg.graceful_timeout)
