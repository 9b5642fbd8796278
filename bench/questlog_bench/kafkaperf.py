"""Kafka's own producer and consumer performance tools (stack/bin/kafka-tool), run and read."""

from __future__ import annotations

import re
import subprocess
from typing import Any

from questlog_bench.settings import ROOT

TOOL = str(ROOT / "stack" / "bin" / "kafka-tool")


class PerfError(RuntimeError):
    """A Kafka perf tool failed or printed no result."""


def parse_producer(text: str) -> dict[str, Any]:
    """Read the final summary line of ProducerPerformance."""
    pattern = (
        r"(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\), ([\d.]+) ms avg latency, "
        r"([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th"
    )
    match = re.search(pattern, text)
    if not match:
        raise PerfError(f"producer-perf printed no summary: {text[-400:]}")
    sent, rate, mb, avg, top, p50, p95, p99 = match.groups()
    return {
        "records": int(sent),
        "records_per_s": float(rate),
        "mb_per_s": float(mb),
        "avg_latency_ms": float(avg),
        "max_latency_ms": float(top),
        "p50_ms": int(p50),
        "p95_ms": int(p95),
        "p99_ms": int(p99),
    }


def parse_consumer(text: str) -> dict[str, Any]:
    """Read the data line of ConsumerPerformance (after its CSV header)."""
    lines = [line for line in text.splitlines() if line.count(",") >= 9]
    header = next((i for i, line in enumerate(lines) if line.startswith("start.time")), None)
    if header is None or header + 1 >= len(lines):
        raise PerfError(f"consumer-perf printed no result: {text[-400:]}")
    names = [n.strip() for n in lines[header].split(",")]
    values = [v.strip() for v in lines[header + 1].split(",")]
    row = dict(zip(names, values, strict=False))
    return {
        "records": int(row["data.consumed.in.nMsg"]),
        "mb": float(row["data.consumed.in.MB"]),
        "records_per_s": float(row["nMsg.sec"]),
        "mb_per_s": float(row["MB.sec"]),
        "rebalance_ms": int(row["rebalance.time.ms"]),
        "fetch_ms": int(row["fetch.time.ms"]),
        "fetch_records_per_s": float(row["fetch.nMsg.sec"]),
    }


def _run(args: list[str], timeout_s: float) -> str:
    try:
        proc = subprocess.run([TOOL, *args], capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        raise PerfError(f"kafka-tool {args[0]} did not finish within {timeout_s:.0f}s") from exc
    return proc.stdout + proc.stderr


def producer_perf(
    bootstrap: str, topic: str, records: int, record_bytes: int, timeout_s: float = 300
) -> dict[str, Any]:
    """Measure the producer ceiling with the settings our API uses (acks=all, idempotent, lz-free)."""
    props = [
        f"bootstrap.servers={bootstrap}",
        "acks=all",
        "enable.idempotence=true",
        # librdkafka (our API) defaults to 1 MB batches; the Java default of 16 KiB would understate Kafka.
        "batch.size=1048576",
        "linger.ms=5",
    ]
    text = _run(
        [
            "producer-perf",
            "--topic",
            topic,
            "--num-records",
            str(records),
            "--record-size",
            str(record_bytes),
            "--throughput",
            "-1",
            "--producer-props",
            *props,
        ],
        timeout_s,
    )
    return parse_producer(text)


def consumer_perf(bootstrap: str, topic: str, records: int, timeout_s: float = 300) -> dict[str, Any]:
    """Measure the consumer ceiling: read `records` records of a topic from the start."""
    text = _run(
        [
            "consumer-perf",
            "--bootstrap-server",
            bootstrap,
            "--topic",
            topic,
            "--messages",
            str(records),
            "--timeout",
            "30000",
        ],
        timeout_s,
    )
    return parse_consumer(text)
