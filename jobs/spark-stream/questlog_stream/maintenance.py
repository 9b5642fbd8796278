"""Small-file control: compact data files and expire old snapshots. Also a command: make compact."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

from pyspark.sql import SparkSession

from questlog_stream.settings import Settings

log = logging.getLogger(__name__)


def compact(spark: SparkSession, settings: Settings, tables: list[str]) -> None:
    """Rewrite small data files and expire snapshots older than the retention, table by table."""
    cutoff = datetime.now(UTC) - timedelta(hours=settings.snapshot_retain_hours)
    cutoff_s = cutoff.strftime("%Y-%m-%d %H:%M:%S")
    for table in tables:
        started = time.monotonic()
        name = f"{settings.namespace}.{table}"
        files = spark.sql(
            f"CALL {settings.catalog}.system.rewrite_data_files(table => '{name}', "
            f"options => map('min-input-files', '5', 'partial-progress.enabled', 'true'))"
        ).first()
        spark.sql(
            f"CALL {settings.catalog}.system.expire_snapshots(table => '{name}', "
            f"older_than => TIMESTAMP '{cutoff_s}', retain_last => 10)"
        ).collect()
        log.info(
            "compacted %s: %s data files rewritten into %s in %.1fs",
            table,
            files[0] if files else 0,
            files[1] if files else 0,
            time.monotonic() - started,
        )
