"""The micro-batch writer: append each table's rows once per batch, however often the batch is replayed.

Every append carries (streaming query id, batch id) in its snapshot summary. Before appending batch N
to a table, the writer knows the newest batch id that table holds from this query (read from the
table's snapshots once per process, then kept up to date), and skips the table when it already has N.
So a batch replayed after a crash appends only to the tables it had not reached. Rows of the slow lane
are anti-joined against their table first (within the dedup window of their hours), which keeps the
duplicates the state cannot know about out: resends hours later, and everything right after a new
checkpoint. The cost of a batch therefore depends on the batch, not on the tables' size.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from pyspark import inheritable_thread_target
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from questlog_core.columns import BAD_EVENTS_TABLE, Column, table_columns
from questlog_core.ddl import spark_literal
from questlog_core.registry import Registry

from questlog_stream.settings import Settings
from questlog_stream.suppress import Suppressor
from questlog_stream.transform import table_rows

log = logging.getLogger(__name__)

QUERY_ID = "questlog.query-id"
BATCH_ID = "questlog.batch-id"


@dataclass
class TablePlan:
    """What one batch holds for one table: rows, and the hours (epoch seconds) to search for copies."""

    rows: int = 0
    slow_hours: set[int] = field(default_factory=set)
    all_hours: set[int] = field(default_factory=set)


class LakeWriter:
    """foreachBatch callback over deduplicated, routed rows (see transform.py and dedup.py)."""

    def __init__(self, settings: Settings, registry: Registry, suppressor: Suppressor | None = None) -> None:
        self.settings = settings
        self.registry = registry
        self.suppressor = suppressor
        wanted = settings.event_types or registry.lake_event_types
        self.columns: dict[str, list[Column]] = {
            table: columns
            for table, columns in table_columns(registry).items()
            if table == BAD_EVENTS_TABLE or registry.event_tables[table] in wanted
        }
        self.window_s = int(settings.dedup_window_hours * 3600)
        # Newest batch id each table holds from this query; a table missing here is looked up once.
        self.committed: dict[str, int | None] = {}
        self.batches = 0

    def tables(self) -> dict[str, list[Column]]:
        """Return every table this writer fills, with its columns."""
        return self.columns

    def __call__(self, batch: DataFrame, batch_id: int) -> None:
        if self.suppressor is None:
            self._land(batch, batch_id)
            return
        with self.suppressor.batch() as erasures:
            self._land(self.suppressor.keep(batch, erasures), batch_id)

    def _land(self, batch: DataFrame, batch_id: int) -> None:
        started = time.monotonic()
        spark = batch.sparkSession
        qid = spark.sparkContext.getLocalProperty("sql.streaming.queryId")
        # Computed once into the block manager, under a plan of one node: the DataFrames built from it
        # below (one per table) are then analysed and optimised in milliseconds, instead of each going
        # through the whole parse, validate and dedup plan again (cache lookups compare that plan).
        rows = batch.localCheckpoint(eager=True)
        try:
            plans = self.plan(rows)
            planned = time.monotonic()
            if plans:
                with ThreadPoolExecutor(max_workers=len(plans), thread_name_prefix="append") as pool:
                    write = inheritable_thread_target(spark)(self._write)
                    futures = {t: pool.submit(write, t, rows, p, qid, batch_id) for t, p in plans.items()}
                    written = {t: f.result() for t, f in futures.items()}
                log.info(
                    "batch %d landed %s in %.2fs (dedup and plan %.2fs, appends %.2fs)",
                    batch_id,
                    ", ".join(f"{t}={n}" for t, n in sorted(written.items())),
                    time.monotonic() - started,
                    planned - started,
                    time.monotonic() - planned,
                )
                if self.settings.fault_hold_after_appends_seconds:
                    log.warning("fault injection: batch %d holds after its appends", batch_id)
                    time.sleep(self.settings.fault_hold_after_appends_seconds)
        finally:
            release(rows)
        self.batches += 1

    def plan(self, rows: DataFrame) -> dict[str, TablePlan]:
        """One job: rows per table, the hours of the slow rows and of all rows (computed on the cache)."""
        target = F.when(F.col("conflict").isNotNull(), F.lit(BAD_EVENTS_TABLE)).otherwise(F.col("table"))
        slow = F.col("slow") & F.col("conflict").isNull()
        hour = F.unix_seconds(F.date_trunc("hour", F.col("ts")))
        plans: dict[str, TablePlan] = {}
        for r in rows.groupBy(target.alias("t"), slow.alias("s"), hour.alias("h")).count().collect():
            if r["t"] not in self.columns:
                continue
            p = plans.setdefault(r["t"], TablePlan())
            p.rows += int(r["count"])
            if r["h"] is not None:
                p.all_hours.add(int(r["h"]))
                if r["s"]:
                    p.slow_hours.add(int(r["h"]))
        return plans

    def _write(self, table: str, rows: DataFrame, plan: TablePlan, qid: str, batch_id: int) -> int:
        """Append one table's rows of a batch unless the table already holds that batch; return rows offered."""
        name = self.settings.table(table)
        if table not in self.committed:
            self.committed[table] = last_batch(rows.sparkSession, name, qid)
        last = self.committed[table]
        if last is not None and batch_id <= last:
            log.info("batch %d: %s already holds it (replay), skipped", batch_id, table)
            return 0
        if table == self.settings.fault_hold_table and self.settings.fault_hold_seconds:
            log.warning("fault injection: batch %d holds its %s append", batch_id, table)
            time.sleep(self.settings.fault_hold_seconds)
        columns = self.columns[table]
        key = "dlq_id" if table == BAD_EVENTS_TABLE else "event_id"
        # No marker of this query on a table after a restart: it may never have had rows from this query,
        # or its markers were expired. Either way, anti-joining this one batch keeps it exactly once.
        unsure = last is None and self.batches == 0 and batch_id > 0
        if plan.slow_hours or unsure:
            hours = plan.all_hours if unsure else plan.slow_hours
            lane = F.lit(True) if unsure else F.col("slow")
            fast = table_rows(rows.where(~lane), table, columns)
            slow = table_rows(rows.where(lane), table, columns)
            existing = (
                rows.sparkSession.table(name)
                .where(self._window(self.registry.partition_column(table), hours))
                .select(key)
            )
            out = fast.unionByName(slow.join(existing, on=key, how="left_anti"))
        else:
            out = table_rows(rows, table, columns)
        (
            out.writeTo(name)
            .option(f"snapshot-property.{QUERY_ID}", qid)
            .option(f"snapshot-property.{BATCH_ID}", str(batch_id))
            .option("distribution-mode", "none")
            .option("fanout-enabled", "true")
            .append()
        )
        self.committed[table] = batch_id
        return plan.rows

    def _window(self, ts: str, hours: set[int]) -> F.Column:
        """Rows of the table within the dedup window of the given hours (literal bounds: file pruning)."""
        condition = F.lit(False)
        for low, high in hour_ranges(sorted(hours), self.window_s):
            condition = condition | F.col(ts).between(F.timestamp_seconds(F.lit(low)), F.timestamp_seconds(F.lit(high)))
        return condition


def release(checkpointed: DataFrame) -> None:
    """Drop the blocks of a locally checkpointed batch (unpersist() does not reach them).

    Never fails the batch: blocks left behind are dropped by Spark's context cleaner once the batch's
    DataFrame is garbage collected.
    """
    try:
        checkpointed._jdf.queryExecution().analyzed().rdd().unpersist(False)  # type: ignore[operator]
    except Exception as exc:  # noqa: BLE001 - a leak until the cleaner runs beats a failed batch
        log.warning("could not release the batch's checkpointed blocks: %s", exc)


def last_batch(spark, table: str, qid: str) -> int | None:  # type: ignore[no-untyped-def]
    """Return the newest batch id of query `qid` that a table's retained snapshots carry, or None."""
    got = spark.sql(
        f"SELECT max(CAST(summary['{BATCH_ID}'] AS BIGINT)) FROM {table}.snapshots "
        f"WHERE summary['{QUERY_ID}'] = '{spark_literal(qid)}'"
    ).first()
    return None if got is None or got[0] is None else int(got[0])


def hour_ranges(hours: list[int], window_s: int) -> list[tuple[int, int]]:
    """Merge hours (epoch seconds) widened by the dedup window into disjoint [low, high] ranges."""
    ranges: list[tuple[int, int]] = []
    for hour in sorted(hours):
        low, high = hour - window_s, hour + 3600 + window_s
        if ranges and low <= ranges[-1][1]:
            ranges[-1] = (ranges[-1][0], max(high, ranges[-1][1]))
        else:
            ranges.append((low, high))
    return ranges
