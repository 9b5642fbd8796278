"""gunicorn on SIGTERM: stops accepting, finishes in-flight requests, flushes; no acknowledged event lost."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid

import orjson
import requests

from tests.conftest import ROOT
from tests.integration.conftest import BOOTSTRAP, consume_all


def test_sigterm_loses_no_acknowledged_event(topic, unique):
    port = 5055
    env = {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "QUESTLOG_API_TOPIC": topic,
        "QUESTLOG_API_DLQ_TOPIC": topic,
        "QUESTLOG_API_BOOTSTRAP_SERVERS": BOOTSTRAP,
        "QUESTLOG_API_ACCESS_LOG": "false",
        "PROMETHEUS_MULTIPROC_DIR": f"/tmp/questlog-test-{unique}",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "services/api/gunicorn.conf.py")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).ok:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        acknowledged: list[str] = []
        lock = threading.Lock()
        stop = threading.Event()

        def client(n: int) -> None:
            session = requests.Session()
            i = 0
            while not stop.is_set() and i < 2000:
                event = {"event_type": "join_guild", "user_id": f"{unique}-{n}", "guild_name": f"g{i}"}
                i += 1
                try:
                    response = session.post(f"http://127.0.0.1:{port}/v1/events", json=event, timeout=10)
                except requests.RequestException:
                    return  # the server went away: nothing more is acknowledged
                if response.status_code == 202:
                    with lock:
                        acknowledged.append(response.json()["accepted"][0]["event_id"])

        threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        time.sleep(3)
        # Requests provably in flight: the worker is reading their bodies when SIGTERM arrives.
        in_flight = [InFlight(port, unique, n) for n in range(2)]
        time.sleep(1.0)
        server.send_signal(signal.SIGTERM)
        time.sleep(1.0)
        answers = [request.finish() for request in in_flight]
        code = server.wait(timeout=60)
        output = server.stdout.read().decode(errors="replace") if server.stdout else ""
        assert code == 0, output[-3000:]
        stop.set()
        for t in threads:
            t.join(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
    assert len(acknowledged) > 100
    assert [status for status, _body in answers] == [202, 202], answers
    finished = [body["accepted"][0]["event_id"] for _status, body in answers]
    assert finished == [request.event_id for request in in_flight]
    expected = len(acknowledged) + len(finished)
    stored = {orjson.loads(m.value())["event_id"] for m in consume_all(topic, expected, timeout_s=60)}
    assert set(acknowledged) <= stored
    assert set(finished) <= stored, "a request in flight at SIGTERM was answered but its event is not in Kafka"


class InFlight:
    """A POST whose headers and half its body are sent now; finish() sends the rest and reads the answer."""

    def __init__(self, port: int, unique: str, n: int) -> None:
        self.event_id = str(uuid.uuid4())
        user = f"{unique}-inflight{n}"
        event = {"event_type": "join_guild", "user_id": user, "guild_name": "g", "event_id": self.event_id}
        self.body = orjson.dumps(event)
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        head = (
            f"POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(self.body)}\r\nConnection: close\r\n\r\n"
        )
        self.sock.sendall(head.encode() + self.body[:10])

    def finish(self) -> tuple[int, dict]:
        with self.sock:
            self.sock.sendall(self.body[10:])
            response = b""
            while chunk := self.sock.recv(65536):
                response += chunk
        head, _, body = response.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1]) if head else 0
        return status, orjson.loads(body) if status else {}
