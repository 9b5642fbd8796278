"""gunicorn on SIGTERM: stops accepting, finishes in-flight requests, flushes; no acknowledged event lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson
import requests

from tests.integration.conftest import BOOTSTRAP, consume_all

ROOT = Path(__file__).resolve().parents[2]


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
        server.send_signal(signal.SIGTERM)
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
    stored = {orjson.loads(m.value())["event_id"] for m in consume_all(topic, len(acknowledged), timeout_s=60)}
    assert set(acknowledged) <= stored
