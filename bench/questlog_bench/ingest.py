"""API ingest: ab against healthz, a single-event and batch endpoint of one API, beside Kafka's ceiling."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import requests
from confluent_kafka.admin import AdminClient
from questlog_stack.bootstrap import create_topics

from questlog_bench import ab, kafkaperf
from questlog_bench.payloads import write_batch_file, write_single_file
from questlog_bench.processes import start_api
from questlog_bench.resources import ResourceMonitor, delta
from questlog_bench.settings import Settings
from questlog_bench.stats import ratio

log = logging.getLogger(__name__)


def _check_batch(url: str, body: Path, size: int) -> None:
    """Fail early unless the API accepts every event of a batch body."""
    response = requests.post(url, data=body.read_bytes(), headers={"Content-Type": "application/json"}, timeout=30)
    accepted = response.json().get("accepted_count") if response.ok else None
    if accepted != size:
        raise RuntimeError(f"batch body of {size} events: HTTP {response.status_code}, accepted {accepted}")


def run_ingest(settings: Settings, run_id: str, monitor: ResourceMonitor) -> dict[str, Any]:
    """Measure producer-perf, then ab on our API (its own instance, same code and gunicorn config)."""
    topic, dlq, perf_topic = f"bench.ingest.{run_id}", f"bench.ingest.{run_id}.dlq", f"bench.perf.{run_id}"
    create_topics(settings.bootstrap_servers, {topic: 3, dlq: 3, perf_topic: 3})
    work = Path(settings.work_dir)
    out: dict[str, Any] = {"record_bytes": settings.record_bytes, "api_topic": topic}
    try:
        log.info("kafka producer-perf: %d records", settings.producer_perf_records)
        out["producer_perf"] = kafkaperf.producer_perf(
            settings.bootstrap_servers, perf_topic, settings.producer_perf_records, settings.record_bytes
        )
        single = str(write_single_file(work / "payloads" / "single.json"))
        batches = {
            n: write_batch_file(work / "payloads" / f"batch{n}.json", n, f"bench-{run_id}-i")
            for n in settings.batch_sizes
        }
        api = start_api(settings.bench_api_port, topic, dlq, work / "logs" / "bench-api.log", {})
        monitor.watch("bench-api", api.pgid)
        base = f"http://127.0.0.1:{settings.bench_api_port}"
        runs: list[dict[str, Any]] = []
        events, cpu_before = 0, monitor.cpu_seconds()
        try:
            for n, path in batches.items():
                _check_batch(f"{base}/v1/events", path, n)
            for c in settings.ab_concurrency:
                plan = [("healthz", "GET /healthz", f"{base}/healthz", None, 0)]
                plan.append(("single", "single POST /purchase_a_weapon", f"{base}/purchase_a_weapon", single, 1))
                plan += [
                    (f"batch{n}", f"batch POST /v1/events x{n}", f"{base}/v1/events", str(p), n)
                    for n, p in batches.items()
                ]
                healthz_rps = None
                for kind, label, url, body, per in plan:
                    log.info("ab -c %d %s", c, label)
                    result = ab.run(url, label, c, settings.ab_seconds, body, per, ("X-User-Id: bench-ab",))
                    row = {"server": "ours", "kind": kind, **result.as_dict()}
                    if kind == "healthz":
                        healthz_rps = result.requests_per_s
                    row["vs_healthz"] = ratio(result.requests_per_s, healthz_rps) if kind != "healthz" else None
                    events += result.ok_requests * per
                    runs.append(row)
            used = delta(cpu_before, monitor.cpu_seconds())
        finally:
            api.stop()
        out["runs"] = runs
        out["events_acknowledged"] = events
        out["cpu_seconds"] = {k: v for k, v in used.items() if v > 0.5}
        out["_events"] = events
    finally:
        AdminClient({"bootstrap.servers": settings.bootstrap_servers, "log_level": 0}).delete_topics(
            [topic, dlq, perf_topic], request_timeout=30
        )
    return out
