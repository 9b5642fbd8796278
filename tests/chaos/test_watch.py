"""The restart-on-exit watcher on a throwaway service (no stack needed): a killed process comes back."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
from questlog_stack import supervisor, watch
from questlog_stack.paths import Paths
from questlog_stack.services import Service

pytestmark = pytest.mark.chaos


def test_watcher_restarts_a_killed_service_and_stop_watcher_ends_it(tmp_path):
    paths = Paths(tmp_path, tmp_path / "var")
    service = Service("sleeper", ("sleep", "300"), 0, lambda: (True, "ok"), start_timeout_s=10)
    first = supervisor.start(paths, service)
    watcher = watch.Watcher(paths, [service], interval_s=0.2)
    thread = threading.Thread(target=watcher.run)
    thread.start()
    try:
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while supervisor.read_pid(paths, "sleeper") in (None, first) and time.monotonic() < deadline:
            time.sleep(0.1)
        second = supervisor.read_pid(paths, "sleeper")
        assert second not in (None, first)
        assert watcher.restarts == {"sleeper": 1}
        assert "starting sleeper" in paths.log("sleeper").read_text()
    finally:
        watcher.stop()
        thread.join(timeout=10)
        supervisor.stop(paths, service)
    assert not thread.is_alive()
    assert supervisor.read_pid(paths, "sleeper") is None


def test_start_never_spawns_twice_when_raced(tmp_path):
    paths = Paths(tmp_path, tmp_path / "var")
    service = Service("sleeper", ("sleep", "300"), 0, lambda: (True, "ok"), start_timeout_s=10)
    pids: list[int] = []
    threads = [threading.Thread(target=lambda: pids.append(supervisor.start(paths, service))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    try:
        assert len(pids) == 4 and len(set(pids)) == 1, pids
    finally:
        supervisor.stop(paths, service)
