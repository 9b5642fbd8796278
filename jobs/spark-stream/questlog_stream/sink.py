"""The micro-batch writer: every batch lands in the lake exactly once, however often it is replayed."""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from questlog_core.columns import BAD_EVENTS_TABLE, bad_event_columns, event_columns, partition_column
from questlog_core.registry import Registry

from questlog_stream import maintenance
from questlog_stream.schema import dead_letter_payload, event_payload
from questlog_stream.settings import Settings
from questlog_stream.transform import (
    dead_letters,
    decode,
    rows_of_type,
    unusable_events,
    with_problems,
)

log = logging.getLogger(__name__)


class LakeWriter:
    """foreachBatch callback: split a batch by table and MERGE it in, keyed by event id."""

    def __init__(self, settings: Settings, registry: Registry) -> None:
        self.settings = settings
        self.event_columns = {t: event_columns(registry, t) for t in settings.event_types}
        self.bad_columns = bad_event_columns(registry)
        self.required = {t: registry.latest(t).required for t in registry.event_types}
        self.known = registry.event_types
        self.payload = event_payload(registry)
        self.dlq_payload = dead_letter_payload(registry)
        self.window = timedelta(hours=settings.dedup_window_hours)
        self.last_compaction = time.monotonic()
        self.batches = 0

    def tables(self) -> dict[str, list]:
        """Return every table this writer fills, with its columns."""
        return {**self.event_columns, BAD_EVENTS_TABLE: self.bad_columns}

    def __call__(self, batch: DataFrame, batch_id: int) -> None:
        started = time.monotonic()
        batch.persist()
        try:
            events = decode(batch.where(F.col("topic") == self.settings.topic), self.payload)
            checked = with_problems(events, self.required, self.known).persist()
            # One job caches `checked` and says which tables get rows; the others are not touched.
            usable = checked.where(F.col("problem").isNull()).select("e.event_type").distinct().collect()
            present = {r[0] for r in usable}
            merges: dict[str, tuple[DataFrame, str]] = {
                event_type: (rows_of_type(checked, event_type, columns), "event_id")
                for event_type, columns in self.event_columns.items()
                if event_type in present
            }
            dlq = decode(batch.where(F.col("topic") == self.settings.dlq_topic), self.dlq_payload)
            bad = unusable_events(checked, self.bad_columns).unionByName(dead_letters(dlq, self.bad_columns))
            merges[BAD_EVENTS_TABLE] = (bad, "dlq_id")
            # Each table's MERGE is its own atomic commit, so they may run side by side: most of a MERGE's
            # time is planning, metastore and HDFS round trips, which overlap. A replayed batch is still
            # idempotent per table. The pool waits for every MERGE before an error propagates.
            with ThreadPoolExecutor(max_workers=len(merges), thread_name_prefix="merge") as pool:
                futures = {t: pool.submit(self._merge, t, rows, key) for t, (rows, key) in merges.items()}
                written = {t: f.result() for t, f in futures.items()}
            checked.unpersist()
        finally:
            batch.unpersist()
        self.batches += 1
        if any(written.values()):
            log.info(
                "batch %d landed %s in %.2fs",
                batch_id,
                ", ".join(f"{t}={n}" for t, n in written.items() if n),
                time.monotonic() - started,
            )
        if time.monotonic() - self.last_compaction > self.settings.compact_every_seconds:
            maintenance.compact(batch.sparkSession, self.settings, list(self.tables()))
            self.last_compaction = time.monotonic()

    def _merge(self, table: str, rows: DataFrame, key: str) -> int:
        """Insert rows whose key the table does not hold yet; return how many rows were offered."""
        rows = rows.persist()
        try:
            ts = partition_column(table)
            # One job gives both the hours to search and the row count (no separate count() job).
            per_hour = rows.groupBy(F.date_trunc("hour", ts)).count().collect()
            hours = [r[0] for r in per_hour]
            if not hours:
                return 0
            view = f"questlog_batch_{table}"
            rows.createOrReplaceTempView(view)
            window = " OR ".join(
                f"t.{ts} BETWEEN TIMESTAMP '{low:%Y-%m-%d %H:%M:%S}' AND TIMESTAMP '{high:%Y-%m-%d %H:%M:%S}'"
                for low, high in hour_ranges(hours, self.window)
            )
            # Only NOT MATCHED: Iceberg runs this as an anti-join + append; the target is read only
            # in the hours around the batch's own event times (file pruning on event_ts stats).
            rows.sparkSession.sql(
                f"MERGE INTO {self.settings.table(table)} t USING {view} s "
                f"ON t.{key} = s.{key} AND ({window}) WHEN NOT MATCHED THEN INSERT *"
            )
            return sum(int(r[1]) for r in per_hour)
        finally:
            rows.unpersist()


def hour_ranges(hours: list[datetime], window: timedelta) -> list[tuple[datetime, datetime]]:
    """Merge the hours a batch touches, widened by the dedup window, into disjoint ranges."""
    ranges: list[tuple[datetime, datetime]] = []
    for hour in sorted(hours):
        low, high = hour - window, hour + timedelta(hours=1) + window
        if ranges and low <= ranges[-1][1]:
            ranges[-1] = (ranges[-1][0], max(high, ranges[-1][1]))
        else:
            ranges.append((low, high))
    return ranges
