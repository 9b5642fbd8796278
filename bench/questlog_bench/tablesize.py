"""Does a batch cost more when the tables are big? The stream's batch durations under the same live load,
first over empty tables, then over tables that already hold tens of millions of rows.

A private stream job (stack/bin/run-stream, default settings) on its own topic and namespace `lake.bench`
gets a steady load written straight to Kafka (stored-form events stamped as they are sent); its batch
durations come from the job's own progress (Spark's triggerExecution per batch with input). Between the
two loads Trino inserts rows into a table (event times spread over the last hours, so they fall in any
window a dedup could look at), and the job restarts on the same checkpoint.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient
from questlog_core.registry import default_registry
from questlog_stack.bootstrap import create_topics

from questlog_bench import stats
from questlog_bench.lake import Lake
from questlog_bench.payloads import RecordFactory
from questlog_bench.processes import Managed, spark_env
from questlog_bench.settings import ROOT, Settings

log = logging.getLogger(__name__)
NAMESPACE = "bench"
TABLES = default_registry().lake_tables


def _progress(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _start(settings: Settings, topic: str, dlq: str, checkpoint: str, progress_file: Path, log_path: Path) -> Managed:
    env = {
        **spark_env(),
        "QUESTLOG_STREAM_TOPIC": topic,
        "QUESTLOG_STREAM_DLQ_TOPIC": dlq,
        "QUESTLOG_STREAM_NAMESPACE": NAMESPACE,
        "QUESTLOG_STREAM_CHECKPOINT": checkpoint,
        "QUESTLOG_STREAM_PROGRESS_FILE": str(progress_file),
    }
    if progress_file.exists():
        progress_file.unlink()
    job = Managed("bench-size-stream", [str(ROOT / "stack" / "bin" / "run-stream")], env, log_path)
    job.wait_until(lambda: _progress(progress_file).get("state") == "running", 300)
    return job


def _live(
    bootstrap: str, topic: str, rate: int, seconds: float, progress_file: Path, progress: Callable[[int], None]
) -> list[dict[str, Any]]:
    """Write `rate` events/s for `seconds`, then return the batches with input that ran meanwhile."""
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "acks": "all", "log_level": 0})
    registry = default_registry()
    factory = RecordFactory("bench-size", {t: registry.latest(t).version for t in registry.event_types})
    seen: dict[int, dict[str, Any]] = {}
    started = time.monotonic()
    sent, step = 0, max(1, rate // 20)
    while time.monotonic() - started < seconds:
        for _ in range(step):
            key, value = factory.make()
            producer.produce(topic, value, key)
        sent += step
        producer.poll(0)
        progress(step)
        for b in _progress(progress_file).get("recent_batches", []):
            seen[b["batch_id"]] = b
        time.sleep(max(0.0, started + sent / rate - time.monotonic()))
    producer.flush(60)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the batches still running when the load stopped
        time.sleep(1)
        for b in _progress(progress_file).get("recent_batches", []):
            seen[b["batch_id"]] = b
        if (_progress(progress_file).get("lag") or 0) == 0:
            break
    # The first batch after a start also opens the state store and the tables: not load.
    batches = sorted(seen.values(), key=lambda b: b["batch_id"])
    return batches[1:] if len(batches) > 2 else batches


def _grow(lake: Lake, rows: int) -> int:
    """Insert `rows` events into enter_battle with Trino (event times over the last hours); return its size."""
    a = max(1, rows // 5000)
    lake.query(
        f"INSERT INTO {NAMESPACE}.enter_battle (event_id, event_type, user_id, event_ts, received_at, host, "
        "user_agent, schema_version, enemy, outcome) "
        "SELECT CAST(uuid() AS varchar), 'enter_battle', concat('bench-size-', CAST(x % 10000 AS varchar)), "
        "date_add('millisecond', -x, current_timestamp), date_add('millisecond', -x, current_timestamp), "
        "'bench.example', 'bench', '1-0-0', 'orc', IF(x % 2 = 0, 'won', 'lost') "
        f"FROM (SELECT (i - 1) * 5000 + j AS x FROM UNNEST(sequence(1, {a})) AS s(i) "
        "CROSS JOIN UNNEST(sequence(1, 5000)) AS t(j))"
    )
    return int(lake.query(f"SELECT count(*) FROM {NAMESPACE}.enter_battle")[0][0])


def _summary(batches: list[dict[str, Any]]) -> dict[str, Any]:
    durations = [b["duration_ms"] / 1000 for b in batches]
    return {
        "batches": len(batches),
        "input_rows": sum(b["input_rows"] for b in batches),
        "duration_s": {k: round(v, 3) for k, v in stats.summary(durations).items()} if durations else None,
    }


def run(settings: Settings, run_id: str, lake: Lake, progress: Callable[[int], None]) -> dict[str, Any]:
    """Batch durations at `fresh_rate` over empty tables, then over tables holding `table_rows` more rows."""
    topic, dlq = f"bench.size.{run_id}", f"bench.size.{run_id}.dlq"
    create_topics(settings.bootstrap_servers, {topic: 3, dlq: 3})
    work = Path(settings.work_dir)
    progress_file = work / "run" / f"size-{run_id}.progress.json"
    log_path = work / "logs" / "bench-size-stream.log"
    checkpoint = f"{settings.hdfs}/bench/checkpoints/size-{run_id}"
    out: dict[str, Any] = {"rate": settings.fresh_rate, "seconds": settings.size_seconds, "topic": topic}
    try:
        lake.drop_tables(TABLES)
        job = _start(settings, topic, dlq, checkpoint, progress_file, log_path)
        try:
            out["empty"] = _summary(
                _live(
                    settings.bootstrap_servers,
                    topic,
                    settings.fresh_rate,
                    settings.size_seconds,
                    progress_file,
                    progress,
                )
            )
        finally:
            job.stop(grace_s=60)
        log.info("table size: inserting %d rows", settings.table_rows)
        started = time.monotonic()
        out["rows_in_enter_battle"] = _grow(lake, settings.table_rows)
        out["insert_seconds"] = round(time.monotonic() - started, 1)
        job = _start(settings, topic, dlq, checkpoint, progress_file, log_path)
        try:
            out["full"] = _summary(
                _live(
                    settings.bootstrap_servers,
                    topic,
                    settings.fresh_rate,
                    settings.size_seconds,
                    progress_file,
                    progress,
                )
            )
        finally:
            job.stop(grace_s=60)
    finally:
        AdminClient({"bootstrap.servers": settings.bootstrap_servers, "log_level": 0}).delete_topics(
            [topic, dlq], request_timeout=30
        )
        lake.drop_tables(TABLES)
    empty = ((out.get("empty") or {}).get("duration_s") or {}).get("p95")
    full = ((out.get("full") or {}).get("duration_s") or {}).get("p95")
    out["p95_full_vs_empty"] = round(full / empty, 2) if empty and full else None
    out["method"] = (
        "a private stream job (default settings) on its own topic and lake.bench; the same steady load written "
        "straight to Kafka for the same time, once over empty tables and once after Trino inserted the rows; "
        "batch duration = Spark's triggerExecution of each batch with input (the first batch after each start "
        "excluded: it opens the state store)"
    )
    return out
