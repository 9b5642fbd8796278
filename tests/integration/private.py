"""A private instance of the streaming job for tests that kill it or change its settings.

It runs stack/bin/run-stream exactly as the stack does, on its own topics, Iceberg namespace, checkpoint
and progress file, so killing it or holding its batches never disturbs the shared stream.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from confluent_kafka.admin import AdminClient, NewTopic
from questlog_core.registry import default_registry
from questlog_stack.paths import Paths

from tests.integration.conftest import BOOTSTRAP, query

LAKE_TABLES = default_registry().lake_tables


class PrivateStream:
    """One private stream job: start, kill -9, restart, stop; topics and tables dropped at the end."""

    def __init__(self, name: str, cursor: Any, **settings: str) -> None:
        self.name = name
        self.topic, self.dlq = f"t-{name}", f"t-{name}.dlq"
        self.namespace = f"t_{name}".replace("-", "_")
        self.checkpoint = f"hdfs://127.0.0.1:8020/tests/checkpoints/{name}"
        paths = Paths.from_env()
        self.progress_file = paths.var / "run" / f"test-stream-{name}.progress.json"
        self.log_path = paths.var / "log" / f"test-stream-{name}.log"
        self.script = paths.script("run-stream")
        self.cursor = cursor
        self.settings = settings
        self.proc: subprocess.Popen[bytes] | None = None
        admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
        for f in admin.create_topics([NewTopic(t, 3, 1) for t in (self.topic, self.dlq)]).values():
            f.result(30)

    def env(self, **overrides: str) -> dict[str, str]:
        """Environment of the job: the stack's defaults, this instance's names, then overrides."""
        return {
            **os.environ,
            "QUESTLOG_STREAM_TOPIC": self.topic,
            "QUESTLOG_STREAM_DLQ_TOPIC": self.dlq,
            "QUESTLOG_STREAM_NAMESPACE": self.namespace,
            "QUESTLOG_STREAM_CHECKPOINT": self.checkpoint,
            "QUESTLOG_STREAM_PROGRESS_FILE": str(self.progress_file),
            "QUESTLOG_STREAM_DRIVER_MEMORY": "768m",
            **self.settings,
            **overrides,
        }

    def start(self, timeout_s: float = 240.0, **overrides: str) -> None:
        """Start the job and wait until its query runs."""
        with contextlib.suppress(FileNotFoundError):
            self.progress_file.unlink()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            log.write(f"\n=== test: starting {self.name} {overrides} ===\n".encode())
            self.proc = subprocess.Popen(
                [str(self.script)],
                env=self.env(**overrides),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"private stream exited {self.proc.returncode}: {self.tail()}")
            if self.progress().get("state") == "running":
                return
            time.sleep(1)
        raise AssertionError(f"private stream not running after {timeout_s:.0f}s: {self.tail()}")

    def progress(self) -> dict[str, Any]:
        """The job's progress file (empty before its first report)."""
        try:
            return json.loads(self.progress_file.read_text())
        except (OSError, ValueError):
            return {}

    def tail(self, lines: int = 20) -> str:
        """The end of the job's log."""
        return "\n".join(Path(self.log_path).read_text(errors="replace").splitlines()[-lines:])

    def log_has(self, text: str) -> bool:
        """Whether the job's log (this test's part of it) contains text."""
        return text in Path(self.log_path).read_text(errors="replace")

    def kill9(self) -> None:
        """kill -9 the whole process group (Python driver and its JVM) and wait for it."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)
        self.proc = None

    def stop(self) -> None:
        """Stop the job gracefully (SIGTERM, then SIGKILL after a grace period)."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(30)
        self.proc = None

    def table(self, name: str) -> str:
        """The Trino name of one of this instance's tables."""
        return f"lake.{self.namespace}.{name}"

    def batch_ids(self, table: str) -> list[int]:
        """The batch ids of this query's appends that a table's snapshots carry (one per append)."""
        rows = query(
            self.cursor,
            f"SELECT CAST(summary['questlog.batch-id'] AS bigint) FROM lake.{self.namespace}.\"{table}$snapshots\" "
            "WHERE summary['questlog.batch-id'] IS NOT NULL ORDER BY committed_at",
        )
        return [r[0] for r in rows]

    def close(self) -> None:
        """Stop the job, drop its views, tables and namespace, delete its topics."""
        self.stop()
        with contextlib.suppress(Exception):
            found = query(
                self.cursor,
                "SELECT table_name, table_type FROM lake.information_schema.tables "
                f"WHERE table_schema = '{self.namespace}' ORDER BY table_type DESC",
            )
            for name, kind in found:  # views first: they read the tables
                with contextlib.suppress(Exception):
                    query(self.cursor, f"DROP {'VIEW' if kind == 'VIEW' else 'TABLE'} {self.table(name)}")
        for table in LAKE_TABLES:
            with contextlib.suppress(Exception):
                query(self.cursor, f"DROP TABLE IF EXISTS {self.table(table)}")
        with contextlib.suppress(Exception):
            query(self.cursor, f"DROP SCHEMA IF EXISTS lake.{self.namespace}")
        AdminClient({"bootstrap.servers": BOOTSTRAP}).delete_topics([self.topic, self.dlq], request_timeout=30)
