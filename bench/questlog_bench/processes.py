"""Processes the benchmark starts (its own API instance, the baseline, a stream instance), each in its own
process group so it can be measured and stopped without touching anything else."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import requests

from questlog_bench.settings import ROOT

PYTHON = str(ROOT / ".venv" / "bin" / "python")
JAVA17_HOME = "/usr/lib/jvm/java-17-openjdk-amd64"


class StartError(RuntimeError):
    """A process the benchmark needs did not come up."""


class Managed:
    """One started process group, with its log file."""

    def __init__(self, name: str, cmd: list[str], env: dict[str, str], log_path: Path) -> None:
        self.name, self.log_path = name, log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            cmd, env={**os.environ, **env}, stdout=self._log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True
        )

    @property
    def pgid(self) -> int:
        """The process group (= pid of the leader)."""
        return self.proc.pid

    def alive(self) -> bool:
        """Return whether the leader still runs."""
        return self.proc.poll() is None

    def wait_until(self, ready: Callable[[], bool], timeout_s: float) -> None:
        """Wait until `ready()` is true; fail with the end of the log if the process dies or time runs out."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self.alive():
                raise StartError(f"{self.name} exited with {self.proc.returncode}: {self.tail()}")
            try:
                if ready():
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise StartError(f"{self.name} not ready after {timeout_s:.0f}s: {self.tail()}")

    def tail(self, lines: int = 12) -> str:
        """Return the end of the log."""
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self, sig: signal.Signals = signal.SIGTERM, grace_s: float = 30.0) -> int | None:
        """Signal the group, wait, then SIGKILL what is left; return the leader's exit code."""
        try:
            os.killpg(self.pgid, sig)
            self.proc.wait(timeout=grace_s)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.pgid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        # Children of the group (e.g. Spark's JVM) that outlived the leader.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pgid, signal.SIGKILL)
        self._log.close()
        return self.proc.returncode


def http_ok(url: str) -> Callable[[], bool]:
    """Return a readiness check: the URL answers 200."""
    return lambda: requests.get(url, timeout=2).status_code == 200


def start_api(port: int, topic: str, dlq_topic: str, log_path: Path, extra_env: dict[str, str]) -> Managed:
    """Start our API exactly as the stack does (gunicorn.conf.py), on another port and topic."""
    env = {
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "QUESTLOG_API_TOPIC": topic,
        "QUESTLOG_API_DLQ_TOPIC": dlq_topic,
        **extra_env,
    }
    cmd = [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", str(ROOT / "services" / "api" / "gunicorn.conf.py")]
    api = Managed("bench-api", cmd, env, log_path)
    api.wait_until(http_ok(f"http://127.0.0.1:{port}/readyz"), 60)
    return api


def spark_env() -> dict[str, str]:
    """Environment of a local-mode Spark driver on this machine."""
    return {
        "JAVA_HOME": JAVA17_HOME,
        "SPARK_LOCAL_IP": "127.0.0.1",
        "PYSPARK_PYTHON": PYTHON,
        "PYSPARK_DRIVER_PYTHON": PYTHON,
        "QUESTLOG_CACHE": os.environ.get("QUESTLOG_CACHE", str(ROOT / ".cache")),
    }
