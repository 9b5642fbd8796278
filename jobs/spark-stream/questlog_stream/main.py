"""Entry point of the streaming job: Kafka (events, events.dlq) -> Iceberg tables in lake.game."""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from collections import deque
from typing import Any

from questlog_core.registry import BAD_EVENTS_TABLE, default_registry

from questlog_stream import checkpoint, progress, session
from questlog_stream.dedup import deduplicate
from questlog_stream.schema import dead_letter_payload, event_payload
from questlog_stream.settings import Settings
from questlog_stream.sink import LakeWriter
from questlog_stream.suppress import Suppressor
from questlog_stream.tables import ensure_table, holds_rows
from questlog_stream.transform import Lanes, decode, lake_rows, route_dead_letters, route_events, with_lanes
from questlog_stream.validate import TimeLimits

log = logging.getLogger("questlog_stream")


def run(settings: Settings) -> int:
    """Start the query and watch it; return the process exit code."""
    # A stale "running" file from a killed run must not pass for health while this one starts.
    progress.write(settings.progress_file, progress.summarize(None, "starting"))
    settings.check()
    registry = default_registry()
    unknown = set(settings.event_types) - set(registry.lake_event_types)
    if unknown:
        log.error(
            "QUESTLOG_STREAM_EVENT_TYPES names event types that do not land in the lake: %s (those that do: %s)",
            ", ".join(sorted(unknown)),
            ", ".join(registry.lake_event_types),
        )
        return 2
    spark = session.build(settings)
    spark.sparkContext.setLogLevel("WARN")
    suppressor = Suppressor(settings)
    writer = LakeWriter(settings, registry, suppressor)
    spark.sql(f"CREATE NAMESPACE IF NOT EXISTS {settings.catalog}.{settings.namespace}")
    for table, columns in writer.tables().items():
        ensure_table(spark, settings.table(table), columns, registry.partition_column(table))
    ttl_ms = int(settings.state_ttl_minutes * 60_000)
    layout = checkpoint.prepare(
        spark,
        settings.checkpoint,
        settings.starting_offsets,
        bootstrap_ms=ttl_ms + int(settings.backlog_minutes * 60_000),
        tables_hold_rows=any(holds_rows(spark, settings.table(t)) for t in writer.tables()),
    )
    source = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", settings.bootstrap_servers)
        .option("subscribe", f"{settings.topic},{settings.dlq_topic}")
        .option("startingOffsets", layout.starting_offsets)
        .option("failOnDataLoss", "true")
        .option("maxOffsetsPerTrigger", settings.max_offsets_per_trigger)
        .option("kafka.isolation.level", "read_committed")
        # Consumer groups questlog-stream-*: what a locked Kafka's ACLs let the stream use.
        .option("groupIdPrefix", "questlog-stream")
        .options(**settings.kafka_options())
        .load()
    )
    limits = TimeLimits(settings.max_event_age_hours, settings.max_event_future_hours)
    payload, bad_columns = event_payload(registry), writer.tables()[BAD_EVENTS_TABLE]
    events = decode(source.where(source.topic == settings.topic), payload)
    dlq = decode(source.where(source.topic == settings.dlq_topic), dead_letter_payload(registry))
    routed = route_events(events, registry, bad_columns, payload, limits).unionByName(
        route_dead_letters(dlq, registry, bad_columns, payload, limits)
    )
    lanes = Lanes(int(settings.slow_lag_minutes * 60), int(settings.backlog_minutes * 60), layout.bootstrap_until_ms)
    query = (
        lake_rows(with_lanes(deduplicate(routed, ttl_ms), lanes), writer.tables())
        .writeStream.queryName("questlog-stream")
        .foreachBatch(writer)
        .option("checkpointLocation", settings.checkpoint)
        .trigger(processingTime=f"{settings.trigger_seconds} seconds")
        .start()
    )
    log.info(
        "stream started: %s -> %s.%s (%s), checkpoint %s",
        settings.topic,
        settings.catalog,
        settings.namespace,
        ", ".join(writer.tables()),
        settings.checkpoint,
    )
    stopping = threading.Event()

    def _stop(signum: int, _frame: object) -> None:
        log.info("signal %d: stopping the query after the current batch", signum)
        stopping.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    # The last 100 progress reports, kept here: query.recentProgress would fetch all of them over py4j
    # every 2 s, CPU the batches need.
    recent: deque[Any] = deque(maxlen=100)
    while query.isActive and not stopping.is_set():
        query.awaitTermination(2)
        suppressor.idle()
        last = query.lastProgress
        new = last if last is not None and (not recent or recent[-1].get("batchId") != last.get("batchId")) else None
        if new is not None:
            recent.append(new)
        summary = progress.summarize(last, "running", list(recent))
        progress.write(settings.progress_file, summary)
        if new is not None and new.get("numInputRows"):
            log.info(
                "progress %s",
                json.dumps(
                    {
                        k: summary.get(k)
                        for k in (
                            "batch_id",
                            "input_rows",
                            "input_rows_per_second",
                            "processed_rows_per_second",
                            "batch_duration_ms",
                            "lag",
                        )
                    }
                    | {"phases_ms": new.get("durationMs")}
                ),
            )
    if stopping.is_set():
        query.stop()
        progress.write(settings.progress_file, progress.summarize(query.lastProgress, "stopped"))
        return 0
    error = query.exception()
    progress.write(settings.progress_file, progress.summarize(query.lastProgress, "failed"))
    log.error("stream query terminated: %s", error)
    return 1


def main() -> int:
    """Configure logging and settings from the environment, then run."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return run(Settings.from_env())


if __name__ == "__main__":
    sys.exit(main())
