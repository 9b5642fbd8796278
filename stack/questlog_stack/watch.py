"""Restart-on-exit for services that may crash (the API, the stream): `python -m questlog_stack watch`."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
from collections.abc import Sequence

from questlog_stack import supervisor
from questlog_stack.paths import Paths
from questlog_stack.services import Service

log = logging.getLogger(__name__)

WATCHER = "watch"  # its pid file is var/run/watch.pid
DEFAULT_SERVICES = ("api", "stream", "stream-maintenance")


class Watcher:
    """One thread per service: when its process has exited, start it again (capped backoff on failure)."""

    def __init__(
        self,
        paths: Paths,
        services: Sequence[Service],
        interval_s: float = 1.0,
        max_backoff_s: float = 30.0,
    ) -> None:
        self.paths = paths
        self.services = list(services)
        self.interval_s = interval_s
        self.max_backoff_s = max_backoff_s
        self.stopping = threading.Event()
        self.restarts: dict[str, int] = {s.name: 0 for s in self.services}

    def _keep_running(self, service: Service) -> None:
        backoff = 0.0
        while not self.stopping.wait(backoff or self.interval_s):
            if supervisor.read_pid(self.paths, service.name) is not None:
                backoff = 0.0
                continue
            self.restarts[service.name] += 1
            log.warning("%s is not running; restart #%d", service.name, self.restarts[service.name])
            started = time.monotonic()
            try:
                pid = supervisor.start(self.paths, service)
            except supervisor.StackError as exc:
                # The process may be gone (exited in start-up) or still starting: either way look again later.
                backoff = min(max(2 * backoff, 2.0), self.max_backoff_s)
                log.error("restart of %s failed (next look in %.0fs): %s", service.name, backoff, exc)
                continue
            log.warning("%s healthy again (pid %d) after %.1fs", service.name, pid, time.monotonic() - started)
            backoff = 0.0

    def run(self) -> None:
        """Watch until stop() is called."""
        threads = [
            threading.Thread(target=self._keep_running, args=(s,), name=f"watch-{s.name}", daemon=True)
            for s in self.services
        ]
        for thread in threads:
            thread.start()
        log.info("watching %s", ", ".join(s.name for s in self.services))
        self.stopping.wait()
        for thread in threads:
            # A restart in progress finishes its health wait; do not hang on it.
            thread.join(timeout=5)

    def stop(self) -> None:
        """Ask the watch threads to end."""
        self.stopping.set()


def serve(paths: Paths, services: Sequence[Service]) -> int:
    """Run the watcher in the foreground until SIGTERM/SIGINT, with var/run/watch.pid naming it."""
    if (other := supervisor.read_pid(paths, WATCHER)) is not None and other != os.getpid():
        log.error("a watcher already runs (pid %d)", other)
        return 1
    watcher = Watcher(paths, services)
    signal.signal(signal.SIGTERM, lambda *_: watcher.stop())
    signal.signal(signal.SIGINT, lambda *_: watcher.stop())
    pid_file = paths.pid(WATCHER)
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.write_text(f"{os.getpid()}\n")
    try:
        watcher.run()
    finally:
        pid_file.unlink(missing_ok=True)
    return 0


def stop_watcher(paths: Paths, timeout_s: float = 15.0) -> bool:
    """Stop a running watcher (so `down` is not undone by it); return whether one ran."""
    pid = supervisor.read_pid(paths, WATCHER)
    if pid is None:
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while supervisor.read_pid(paths, WATCHER) is not None and time.monotonic() < deadline:
        time.sleep(0.2)
    if supervisor.read_pid(paths, WATCHER) is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    paths.pid(WATCHER).unlink(missing_ok=True)
    return True
