"""Peak memory and CPU time per service (process group), sampled in the background."""

from __future__ import annotations

import os
import threading
from collections import defaultdict
from pathlib import Path

import psutil

STACK_SERVICES = ("hdfs-namenode", "hdfs-datanode", "kafka", "metastore", "trino", "api", "stream")


class ResourceMonitor:
    """Sample RSS and CPU seconds of named process groups once a second; keep peaks and phase totals."""

    def __init__(self, run_dir: Path, interval_s: float = 1.0) -> None:
        self.groups: dict[str, int] = {}
        for name in STACK_SERVICES:
            pid_file = run_dir / f"{name}.pid"
            if pid_file.exists():
                self.groups[name] = int(pid_file.read_text().strip())
        self.interval_s = interval_s
        self.peak_rss_mib: dict[str, float] = defaultdict(float)
        self._cpu: dict[str, float] = defaultdict(float)  # highest total seen per group
        self._dead_cpu: dict[str, float] = defaultdict(float)  # CPU of processes that have exited
        self._seen: dict[int, tuple[str, float]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="resources", daemon=True)

    def watch(self, name: str, pgid: int) -> None:
        """Add a process group started by the benchmark (e.g. the baseline)."""
        with self._lock:
            self.groups[name] = pgid

    def start(self) -> None:
        """Start sampling."""
        self.sample()
        self._thread.start()

    def stop(self) -> None:
        """Take a last sample and stop."""
        self._stop.set()
        self._thread.join(timeout=5)
        self.sample()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.sample()

    def sample(self) -> None:
        """Read every process once, attributing it to its group."""
        with self._lock:
            by_pgid = {pgid: name for name, pgid in self.groups.items()}
            rss: dict[str, float] = defaultdict(float)
            cpu: dict[str, float] = defaultdict(float)
            alive: set[int] = set()
            for proc in psutil.process_iter():
                try:
                    name = by_pgid.get(os.getpgid(proc.pid))
                    if name is None:
                        continue
                    times = proc.cpu_times()
                    used = times.user + times.system
                    rss[name] += proc.memory_info().rss / 2**20
                except (psutil.Error, ProcessLookupError, OSError):
                    continue
                alive.add(proc.pid)
                cpu[name] += used
                self._seen[proc.pid] = (name, used)
            # A process that exited since the last sample keeps the CPU it had used.
            for pid in set(self._seen) - alive:
                name, used = self._seen.pop(pid)
                self._dead_cpu[name] += used
            for name, mib in rss.items():
                self.peak_rss_mib[name] = max(self.peak_rss_mib[name], mib)
            for name in self.groups:
                self._cpu[name] = max(self._cpu[name], cpu.get(name, 0.0) + self._dead_cpu[name])

    def cpu_seconds(self) -> dict[str, float]:
        """Return the CPU seconds each group has used so far (since its processes started)."""
        self.sample()
        with self._lock:
            return dict(self._cpu)


def delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """Return CPU seconds used between two readings, per group."""
    return {name: round(after[name] - before.get(name, 0.0), 2) for name in after}
