"""Table maintenance as its own process (service `stream-maintenance`): the stream never pauses for it.

On every pass it first erases the players whose erasure the stream has acknowledged (erasure.py).

Every QUESTLOG_STREAM_COMPACT_EVERY_SECONDS, table by table: compact the small files of closed hours and
expire old snapshots; every QUESTLOG_STREAM_MANIFESTS_EVERY_SECONDS rewrite manifests; every
QUESTLOG_STREAM_ORPHANS_EVERY_SECONDS remove files no snapshot references (left by killed writers).
Each step is one atomic Iceberg commit that only replaces files; the stream only adds files, so the
two never conflict into data loss (Iceberg retries the metastore's compare-and-swap on either side).
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from pyspark.sql import SparkSession
from questlog_core.erasure import ErasureError
from questlog_core.registry import default_registry

from questlog_stream import progress, session
from questlog_stream.erasure import ErasureProcessor
from questlog_stream.settings import Settings
from questlog_stream.sink import LakeWriter

log = logging.getLogger("questlog_stream.maintenance")

# Compaction leaves the current hour alone: its files are still being appended to, and rewriting them
# every few minutes would only churn.
CLOSED_AFTER = timedelta(hours=1)


def _ts(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")


def compact(spark: SparkSession, settings: Settings, table: str, now: datetime) -> dict[str, Any]:
    """Rewrite small data files of closed hours and expire snapshots past the retention."""
    name = f"{settings.namespace}.{table}"
    closed = f"{default_registry().partition_column(table)} < TIMESTAMP '{_ts(now - CLOSED_AFTER)}'"
    files = spark.sql(
        f"CALL {settings.catalog}.system.rewrite_data_files(table => '{name}', where => \"{closed}\", "
        f"options => map('min-input-files', '5', 'partial-progress.enabled', 'true', "
        f"'max-concurrent-file-group-rewrites', '1'))"
    ).first()
    expired = spark.sql(
        f"CALL {settings.catalog}.system.expire_snapshots(table => '{name}', "
        f"older_than => TIMESTAMP '{_ts(now - timedelta(minutes=settings.snapshot_retain_minutes))}', "
        f"retain_last => {settings.snapshot_retain_last})"
    ).first()
    return {
        "rewritten_files": int(files[0]) if files else 0,
        "added_files": int(files[1]) if files else 0,
        "expired_data_files": int(expired[0]) if expired else 0,
    }


def rewrite_manifests(spark: SparkSession, settings: Settings, table: str) -> None:
    """Merge the many small manifests that one-append-per-batch leaves."""
    spark.sql(f"CALL {settings.catalog}.system.rewrite_manifests(table => '{settings.namespace}.{table}')").collect()


def remove_orphans(spark: SparkSession, settings: Settings, table: str, now: datetime) -> int:
    """Delete files no snapshot references and older than the orphan age (killed writers leave them)."""
    cutoff = _ts(now - timedelta(hours=settings.orphan_age_hours))
    rows = spark.sql(
        f"CALL {settings.catalog}.system.remove_orphan_files(table => '{settings.namespace}.{table}', "
        f"older_than => TIMESTAMP '{cutoff}')"
    ).collect()
    return len(rows)


class Maintainer:
    """The loop: each kind of work on its own period, table after table, stoppable between steps."""

    def __init__(
        self, spark: SparkSession, settings: Settings, tables: list[str], erasures: ErasureProcessor | None = None
    ) -> None:
        self.spark, self.settings, self.tables = spark, settings, tables
        self.erasures = erasures
        self.stopping = threading.Event()
        self.last: dict[str, float] = {"compact": 0.0, "manifests": time.monotonic(), "orphans": time.monotonic()}
        self.report: dict[str, Any] = {"state": "running", "runs": 0, "tables": {}}

    def due(self, kind: str, every: float) -> bool:
        """Whether `kind` is due (and mark it started)."""
        if time.monotonic() - self.last[kind] < every:
            return False
        self.last[kind] = time.monotonic()
        return True

    def run_once(self) -> None:
        """Do whatever is due, table by table; player erasures first, on every pass."""
        s = self.settings
        if self.erasures is not None:
            try:
                done = self.erasures.run_once()
            except ErasureError as exc:
                log.warning("erasure log: %s", exc)
                done = None
            if done is not None:
                self.report["erasures"] = {**done, "at": datetime.now(UTC).isoformat()}
                self.write_progress()
        work = [
            ("compact", self.due("compact", s.compact_every_seconds)),
            ("manifests", self.due("manifests", s.manifests_every_seconds)),
            ("orphans", self.due("orphans", s.orphans_every_seconds)),
        ]
        for kind, due in work:
            if not due:
                continue
            for table in self.tables:
                if self.stopping.is_set():
                    return
                if not self.spark.catalog.tableExists(s.table(table)):
                    continue
                started, now = time.monotonic(), datetime.now(UTC)
                log.info("%s %s: started", kind, table)
                result: dict[str, Any] = {}
                if kind == "compact":
                    result = compact(self.spark, s, table, now)
                elif kind == "manifests":
                    rewrite_manifests(self.spark, s, table)
                else:
                    result = {"orphans_removed": remove_orphans(self.spark, s, table, now)}
                result["seconds"] = round(time.monotonic() - started, 2)
                log.info("%s %s: %s", kind, table, result)
                self.report["tables"].setdefault(table, {})[kind] = {**result, "at": now.isoformat()}
        self.report["runs"] += 1
        self.write_progress()

    def write_progress(self, state: str = "running") -> None:
        """Publish the loop's state for `make status` and the health probe."""
        self.report["state"] = state
        progress.write(self.settings.maintenance_progress_file, {**self.report, "updated": time.time()})

    def loop(self) -> None:
        """Run until stopped, waking every few seconds to see what is due."""
        self.write_progress()
        while not self.stopping.is_set():
            self.run_once()
            self.stopping.wait(5)
        self.write_progress("stopped")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the stream-maintenance service (or, with --once, one pass of every kind: a CronJob)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m questlog_stream.maintenance", description=__doc__.splitlines()[0])
    parser.add_argument("--once", action="store_true", help="do every kind of maintenance once, then exit")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env()
    spark = session.build(
        settings,
        app_name="questlog-stream-maintenance",
        master="local[1]" if settings.master.startswith("local") else settings.master,
        driver_memory=settings.maintenance_driver_memory,
        streaming=False,
    )
    spark.sparkContext.setLogLevel("WARN")
    tables = list(LakeWriter(settings, default_registry()).tables())
    maintainer = Maintainer(spark, settings, tables, ErasureProcessor(spark, settings))

    def _stop(signum: int, _frame: object) -> None:
        log.info("signal %d: stopping after the current step", signum)
        maintainer.stopping.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    log.info("maintenance started for %s", ", ".join(maintainer.tables))
    if args.once:
        maintainer.last = {kind: -1e12 for kind in maintainer.last}
        maintainer.run_once()
        maintainer.write_progress("stopped")
        return 0
    maintainer.loop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
