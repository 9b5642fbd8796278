"""Fixtures for hostile-input tests: a real gunicorn API of their own (with the settings a test needs)
on a free port, writing to topics of its own on the real broker, so the shared API on :5000 stays open.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests
from confluent_kafka.admin import AdminClient, NewTopic
from questlog_stack import health
from questlog_stack.paths import Paths

from tests.conftest import ROOT
from tests.integration.conftest import BOOTSTRAP, consume_all, hdfs_is_up, require, trino_cursor  # noqa: F401

GUNICORN_CONF = ROOT / "services" / "api" / "gunicorn.conf.py"
WEAPON = {"event_type": "purchase_weapon", "user_id": "sec-u1", "weapon_type": "sword", "gold_cost": 10}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class ApiServer:
    """A gunicorn API started for one test module; its log is kept for inspection."""

    url: str
    port: int
    topic: str
    dlq_topic: str
    log_path: Path
    process: subprocess.Popen[bytes]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def events(self, expected: int, timeout_s: float = 30.0) -> list[dict[str, Any]]:
        return [orjson.loads(m.value()) for m in consume_all(self.topic, expected, timeout_s)]

    def dead_letters(self, expected: int, timeout_s: float = 30.0) -> list[dict[str, Any]]:
        return [orjson.loads(m.value()) for m in consume_all(self.dlq_topic, expected, timeout_s)]


def wait_healthy(url: str, process: subprocess.Popen[bytes], log_path: Path, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, f"API exited: {log_path.read_text(errors='replace')[-3000:]}"
        try:
            if requests.get(f"{url}/readyz", timeout=5).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"API on {url} not ready within {timeout_s}s: {log_path.read_text(errors='replace')[-3000:]}")


@pytest.fixture(scope="module")
def start_api(tmp_path_factory) -> Iterator[Callable[..., ApiServer]]:
    """Start gunicorn APIs with QUESTLOG_API_*/GUNICORN_* overrides; stop them and drop their topics after."""
    require("kafka", health.kafka)
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
    started: list[ApiServer] = []

    def start(**env: str) -> ApiServer:
        name = f"sec-{uuid.uuid4().hex[:10]}"
        topics = (name, f"{name}.dlq")
        for future in admin.create_topics([NewTopic(t, 3, 1) for t in topics]).values():
            future.result(30)
        port = free_port()
        folder = tmp_path_factory.mktemp(name)
        log_path = folder / "api.log"
        full_env = {
            **os.environ,
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": "2",
            "GUNICORN_THREADS": "8",
            "QUESTLOG_API_TOPIC": topics[0],
            "QUESTLOG_API_DLQ_TOPIC": topics[1],
            "QUESTLOG_API_BOOTSTRAP_SERVERS": BOOTSTRAP,
            "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics"),
            "QUESTLOG_API_RATE_LIMIT_FILE": str(folder / "ratelimit"),
            **env,
        }
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF)],
                cwd=ROOT,
                env=full_env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        server = ApiServer(f"http://127.0.0.1:{port}", port, topics[0], topics[1], log_path, process)
        started.append(server)
        wait_healthy(server.url, process, log_path)
        return server

    yield start
    for server in started:
        server.process.terminate()
    for server in started:
        try:
            server.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            server.process.kill()
        for future in admin.delete_topics([server.topic, server.dlq_topic]).values():
            future.result(30)


@pytest.fixture(scope="module")
def open_api(start_api) -> ApiServer:
    """An API as the stack runs it (no auth, no rate limit), with a short read deadline."""
    return start_api(GUNICORN_READ_TIMEOUT="2", QUESTLOG_API_ACCESS_LOG="false")


@pytest.fixture(scope="session")
def lake(request):
    """A Trino cursor on lake.game, once the stack's API and stream are up (the whole pipeline)."""
    require("api", health.api)
    require("stream", lambda: health.stream(Paths.from_env().var / "run" / "stream.progress.json"))
    return request.getfixturevalue("trino_cursor")
