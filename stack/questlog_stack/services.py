"""The services of the local stack, in start order, with their probes."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from questlog_stack import health
from questlog_stack.paths import Paths


@dataclass(frozen=True)
class Service:
    """One process of the stack."""

    name: str
    command: tuple[str, ...]
    port: int
    probe: Callable[[], health.Probe]
    start_timeout_s: float = 120.0
    stop_timeout_s: float = 30.0
    env: dict[str, str] = field(default_factory=dict)
    # Files a previous run leaves that must not pass for the new run's state (e.g. progress).
    clear_on_start: tuple[Path, ...] = ()


def services(paths: Paths) -> list[Service]:
    """Return every service in dependency order (stop in reverse)."""
    venv_bin = paths.root / ".venv" / "bin"
    return [
        Service("hdfs-namenode", (str(paths.script("run-hdfs-namenode")),), 8020, health.namenode),
        Service("hdfs-datanode", (str(paths.script("run-hdfs-datanode")),), 9866, health.datanode),
        Service("kafka", (str(paths.script("run-kafka")),), 9092, health.kafka),
        Service(
            "metastore",
            (str(paths.script("run-metastore")),),
            9083,
            lambda: health.metastore(paths.script("metastore-ping")),
            start_timeout_s=180.0,
        ),
        Service("trino", (str(paths.script("run-trino")),), 8080, health.trino, start_timeout_s=240.0),
        Service(
            "api",
            (str(venv_bin / "gunicorn"), "-c", str(paths.root / "services" / "api" / "gunicorn.conf.py")),
            5000,
            health.api,
            start_timeout_s=60.0,
            stop_timeout_s=40.0,
            env={
                name: os.environ.get(name) or str(paths.var / "secrets" / secret)
                for name, secret in (
                    ("QUESTLOG_API_PRIVACY_KEY_FILE", "privacy-key"),
                    ("QUESTLOG_API_ADMIN_KEYS_FILE", "admin-key"),
                )
            },
        ),
        Service(
            "stream",
            (str(paths.script("run-stream")),),
            0,
            lambda: health.stream(paths.var / "run" / "stream.progress.json"),
            start_timeout_s=240.0,
            stop_timeout_s=60.0,
            clear_on_start=(paths.var / "run" / "stream.progress.json",),
        ),
        Service(
            "stream-maintenance",
            (str(paths.script("run-stream-maintenance")),),
            0,
            lambda: health.maintenance(paths.var / "run" / "stream-maintenance.progress.json"),
            start_timeout_s=180.0,
            stop_timeout_s=60.0,
            clear_on_start=(paths.var / "run" / "stream-maintenance.progress.json",),
        ),
    ]


def by_name(paths: Paths) -> dict[str, Service]:
    """Return the services keyed by name."""
    return {s.name: s for s in services(paths)}
