"""Slow-loris: clients that trickle a request in cannot hold the API's threads past the read deadline."""

from __future__ import annotations

import contextlib
import socket
import time
import uuid

import pytest
import requests
from questlog_api.worker import DeadlineSocket, ReadTimeout

from tests.security.conftest import ApiServer


def _trickle(sockets: list[socket.socket], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for s in sockets:
            with contextlib.suppress(OSError):  # dropped by the server: what we want
                s.send(b"X")
        time.sleep(0.5)


@pytest.mark.integration
def test_trickled_headers_are_dropped_and_the_api_keeps_answering(open_api: ApiServer):
    # More slow clients than the server has threads (2 workers x 8): without a deadline every thread
    # would wait on them for as long as they kept sending.
    slow = [socket.create_connection(("127.0.0.1", open_api.port), timeout=5) for _ in range(24)]
    try:
        for s in slow:
            s.send(b"POST /v1/events HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        _trickle(slow, 4.0)  # twice the deadline of 2 s
        started = time.monotonic()
        assert requests.get(f"{open_api.url}/healthz", timeout=15).status_code == 200
        assert time.monotonic() - started < 5.0
        dropped = 0
        for s in slow:
            s.settimeout(5)
            try:
                if s.recv(1024) == b"":
                    dropped += 1
            except ConnectionResetError:
                dropped += 1
        assert dropped == len(slow), f"only {dropped} of {len(slow)} slow clients were dropped"
    finally:
        for s in slow:
            s.close()


@pytest.mark.integration
def test_trickled_body_gets_408_and_a_dead_letter(open_api: ApiServer):
    agent = f"sec-slow-{uuid.uuid4().hex[:8]}"
    with socket.create_connection(("127.0.0.1", open_api.port), timeout=10) as s:
        s.sendall(
            b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000\r\nUser-Agent: " + agent.encode() + b"\r\n\r\n["
        )
        answer = b""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not answer.rstrip().endswith(b"}"):
            with contextlib.suppress(OSError):
                s.send(b" ")
            try:
                s.settimeout(0.5)
                chunk = s.recv(4096)
                if not chunk:
                    break
                answer += chunk
            except TimeoutError:
                continue
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"body not received in time" in answer
    dead = [d for d in open_api.dead_letters(1, timeout_s=30) if d["user_agent"] == agent]
    assert len(dead) == 1 and "body not received in time" in dead[0]["reason"]


def test_past_the_deadline_only_what_has_arrived_is_read():
    server, client = socket.socketpair()
    with server, client:
        conn = DeadlineSocket(server, timeout_s=0.2)
        client.sendall(b"GET / HTTP/1.1\r\n")
        time.sleep(0.3)  # the request waited in the thread pool's queue past its deadline
        assert conn.recv(1024) == b"GET / HTTP/1.1\r\n"
        with pytest.raises(ReadTimeout):
            conn.recv(1024)
        conn.start_request()
        started = time.monotonic()
        with pytest.raises(ReadTimeout):
            conn.recv(1024)
        assert 0.15 < time.monotonic() - started < 2.0
