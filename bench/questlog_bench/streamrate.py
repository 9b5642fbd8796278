"""Stream throughput: our streaming job over a pre-filled topic, against Kafka's consumer ceiling."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient
from questlog_core.registry import BAD_EVENTS_TABLE, default_registry
from questlog_stack.bootstrap import create_topics

from questlog_bench import kafkaperf
from questlog_bench.lake import Lake
from questlog_bench.payloads import TABLES, RecordFactory
from questlog_bench.processes import Managed, spark_env
from questlog_bench.resources import ResourceMonitor, delta
from questlog_bench.settings import ROOT, Settings

log = logging.getLogger(__name__)
BENCH_NAMESPACE = "bench"


def prefill(
    bootstrap: str, topic: str, count: int, user_prefix: str, progress: Callable[[int], None]
) -> dict[str, Any]:
    """Write `count` stored-form events (unique event ids) to a topic, as fast as one producer can."""
    producer = Producer(
        {"bootstrap.servers": bootstrap, "linger.ms": 20, "batch.size": 1_000_000, "acks": "all", "log_level": 0}
    )
    registry = default_registry()
    factory = RecordFactory(user_prefix, {t: registry.latest(t).version for t in registry.event_types})
    started, sent_bytes, step = time.monotonic(), 0, 10_000
    for i in range(count):
        key, value = factory.make()
        sent_bytes += len(value)
        while True:
            try:
                producer.produce(topic, value, key)
                break
            except BufferError:
                producer.poll(0.05)
        if i % step == step - 1:
            producer.poll(0)
            progress(step)
    left = producer.flush(120)
    if left:
        raise RuntimeError(f"prefill: {left} records of {topic} not delivered")
    seconds = time.monotonic() - started
    return {"records": count, "seconds": round(seconds, 1), "avg_record_bytes": round(sent_bytes / max(1, count), 1)}


def _consumed(progress_file: Path, topic: str) -> int | None:
    try:
        summary = json.loads(progress_file.read_text())
    except (OSError, ValueError):
        return None
    end = summary.get("end_offset")
    end = json.loads(end) if isinstance(end, str) else end
    if not end or topic not in end:
        return None
    return sum(int(o) for o in end[topic].values())


def run(
    settings: Settings,
    run_id: str,
    monitor: ResourceMonitor,
    lake: Lake,
    progress: Callable[[int], None],
    prefill_progress: Callable[[int], None],
) -> dict[str, Any]:
    """Pre-fill a topic, measure consumer-perf on it, then our job on it; clean the topics up after."""
    topic, dlq = f"bench.stream.{run_id}", f"bench.stream.{run_id}.dlq"
    admin = AdminClient({"bootstrap.servers": settings.bootstrap_servers, "log_level": 0})
    create_topics(settings.bootstrap_servers, {topic: 3, dlq: 3})
    n = settings.stream_events
    out: dict[str, Any] = {"events": n, "topic": topic}
    try:
        log.info("stream: pre-filling %s with %d events", topic, n)
        out["prefill"] = prefill(settings.bootstrap_servers, topic, n, f"bench-{run_id}-s", prefill_progress)
        log.info("stream: kafka consumer-perf over %d events", n)
        out["consumer_perf"] = kafkaperf.consumer_perf(settings.bootstrap_servers, topic, n, timeout_s=600)
        lake.drop_tables([*TABLES, BAD_EVENTS_TABLE])
        log.info("stream: our streaming job over the topic (at most %.0f s)", settings.stream_max_seconds)
        out["stream"] = _stream(settings, run_id, topic, dlq, monitor, lake, progress)
    finally:
        admin.delete_topics([topic, dlq], request_timeout=30)
    return out


def _stream(
    settings: Settings,
    run_id: str,
    topic: str,
    dlq: str,
    monitor: ResourceMonitor,
    lake: Lake,
    progress: Callable[[int], None],
) -> dict[str, Any]:
    work = Path(settings.work_dir)
    progress_file = work / "run" / f"stream-{run_id}.progress.json"
    env = {
        **spark_env(),
        "QUESTLOG_STREAM_TOPIC": topic,
        "QUESTLOG_STREAM_DLQ_TOPIC": dlq,
        "QUESTLOG_STREAM_NAMESPACE": BENCH_NAMESPACE,
        "QUESTLOG_STREAM_CHECKPOINT": f"{settings.hdfs}/bench/checkpoints/{run_id}",
        "QUESTLOG_STREAM_PROGRESS_FILE": str(progress_file),
    }
    cpu_before = monitor.cpu_seconds()
    started = time.time()
    job = Managed("bench-stream", [str(ROOT / "stack" / "bin" / "run-stream")], env, work / "logs" / "bench-stream.log")
    monitor.watch("bench-stream", job.pgid)
    samples: list[tuple[float, int]] = []  # (time, offsets consumed) after each finished batch
    deadline = time.monotonic() + settings.stream_max_seconds
    n, last = settings.stream_events, 0
    try:
        while time.monotonic() < deadline and job.alive():
            time.sleep(1)
            consumed = _consumed(progress_file, topic)
            if consumed is None or (samples and consumed == samples[-1][1]):
                continue
            samples.append((time.time(), consumed))
            progress(consumed - last)
            last = consumed
            if consumed >= n:
                break
        alive = job.alive()
        tail = "" if alive else job.tail()
    finally:
        job.stop(grace_s=60)
    cpu = delta(cpu_before, monitor.cpu_seconds()).get("bench-stream", 0.0)
    in_lake = lake.count(TABLES, "true")
    result: dict[str, Any] = {
        "consumed": last,
        "finished": last >= n,
        "in_lake": in_lake,
        "wall_seconds_incl_startup": round(samples[-1][0] - started, 1) if samples else None,
        "cpu_seconds": cpu,
        "cpu_seconds_per_million": round(cpu / last * 1e6, 1) if last else None,
        "max_offsets_per_trigger": 200000,
        "job_died": None if alive else tail,
    }
    if len(samples) >= 2:
        (t0, c0), (t1, c1) = samples[0], samples[-1]
        result["sustained_events_per_s"] = round((c1 - c0) / (t1 - t0), 1) if t1 > t0 else None
        result["sustained_window"] = {"from_offset": c0, "to_offset": c1, "seconds": round(t1 - t0, 1)}
    else:
        result["sustained_events_per_s"] = None
    result["method"] = (
        "a second instance of jobs/spark-stream (stack/bin/run-stream, default settings: local[2], 1 s trigger, "
        "200,000 offsets per trigger, dedup state on) on its own topic, checkpoint and namespace lake.bench (no "
        "maintenance runs on lake.bench); sustained rate = "
        "offsets committed between the end of the first micro-batch and the end of the last one, over that time "
        "(JVM start and table creation excluded)"
    )
    return result
