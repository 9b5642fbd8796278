"""Connection floods: idle sockets past `worker_connections` and reconnecting slow-header clients.

Both took the API down before (gunicorn 23's gthread loop busy-waits at worker_connections and never
times out a socket that sends nothing; request heads were read in pool threads). The API must keep
answering others while the attack lasts and recover by itself once the attacker leaves.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import psutil
import pytest
import requests

from tests.security.conftest import ApiServer

pytestmark = pytest.mark.integration

IDLE_CONNECTIONS = 2_100  # more than 2 workers x worker_connections (1,000)
SLOW_CLIENTS = 64  # four times the threads of the test API (2 workers x 8)


def _probe(url: str, seconds: float, interval_s: float = 0.5) -> list[float | None]:
    """GET /healthz every interval for `seconds`: each probe's latency, or None when it failed or
    took over 2 s."""
    results: list[float | None] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            ok = requests.get(f"{url}/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            ok = False
        took = time.monotonic() - started
        results.append(took if ok and took <= 2.0 else None)
        time.sleep(max(0.0, interval_s - took))
    return results


def _answered(results: list[float | None]) -> float:
    return sum(r is not None for r in results) / max(1, len(results))


def _workers_cpu_s(server: ApiServer) -> float:
    return sum(sum(c.cpu_times()[:2]) for c in psutil.Process(server.process.pid).children())


@pytest.fixture
def flood_api(start_api) -> ApiServer:
    """An API with the stack's read deadline (15 s) and worker_connections (1,000)."""
    return start_api(GUNICORN_READ_TIMEOUT="15", QUESTLOG_API_ACCESS_LOG="false")


@contextlib.contextmanager
def _idle_sockets(port: int, count: int) -> Iterator[list[socket.socket]]:
    opened: list[socket.socket] = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                s.connect(("127.0.0.1", port))
            opened.append(s)
        yield opened
    finally:
        for s in opened:
            s.close()


def test_idle_flood_past_worker_connections_keeps_the_api_up_and_it_recovers(flood_api: ApiServer):
    with _idle_sockets(flood_api.port, IDLE_CONNECTIONS) as idle:
        during = _probe(flood_api.url, 12.0)
        # Nothing was sent on them, yet the server closed the oldest to admit the probes.
        assert len(idle) == IDLE_CONNECTIONS
    assert _answered(during) >= 0.9, f"/healthz answered {_answered(during):.0%} of probes during the flood: {during}"

    after = _probe(flood_api.url, 5.0)
    assert after[0] is not None, f"the first /healthz after the flood failed: {after}"
    assert _answered(after) == 1.0, after

    # No busy-wait left behind: the workers are idle once the attacker has gone.
    before_cpu = _workers_cpu_s(flood_api)
    time.sleep(3.0)
    spent = _workers_cpu_s(flood_api) - before_cpu
    assert spent < 0.6, f"the API's workers used {spent:.2f} s of CPU in 3 s with no traffic"
    assert "waiting connections to admit new ones" in flood_api.log()


class _SlowLoris(threading.Thread):
    """Clients that send one header byte every 0.5 s and reconnect whenever the server drops them."""

    def __init__(self, port: int, clients: int) -> None:
        super().__init__(daemon=True)
        self.port, self.clients = port, clients
        self.stop = threading.Event()
        self.reconnects = 0

    def _open(self) -> socket.socket:
        s = socket.create_connection(("127.0.0.1", self.port), timeout=2)
        s.sendall(b"POST /v1/events HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        return s

    def run(self) -> None:
        sockets = [self._open() for _ in range(self.clients)]
        try:
            while not self.stop.is_set():
                for i, s in enumerate(sockets):
                    try:
                        s.send(b"x")
                    except OSError:
                        s.close()
                        with contextlib.suppress(OSError):
                            sockets[i] = self._open()
                            self.reconnects += 1
                self.stop.wait(0.5)
        finally:
            for s in sockets:
                s.close()


def test_reconnecting_slow_header_clients_do_not_starve_others(open_api: ApiServer):
    loris = _SlowLoris(open_api.port, SLOW_CLIENTS)
    loris.start()
    try:
        time.sleep(1.0)
        during = _probe(open_api.url, 12.0)
    finally:
        loris.stop.set()
        loris.join(10)
    assert _answered(during) >= 0.9, f"/healthz answered {_answered(during):.0%} of probes: {during}"
    # The read deadline (2 s here) dropped them, and they came back: the attack really lasted.
    assert loris.reconnects >= SLOW_CLIENTS, loris.reconnects
    after = _probe(open_api.url, 3.0)
    assert _answered(after) == 1.0, after
