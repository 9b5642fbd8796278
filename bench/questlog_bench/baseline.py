"""Run the classic baseline (bench/baseline: Flask dev server + UDF Spark job) on the same stack."""

from __future__ import annotations

import json
import logging
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, TopicPartition

from questlog_bench import ab, load, stats
from questlog_bench.processes import PYTHON, Managed, http_ok, spark_env
from questlog_bench.resources import ResourceMonitor
from questlog_bench.settings import ROOT, Settings

log = logging.getLogger(__name__)
BASELINE = ROOT / "bench" / "baseline"


def end_offsets(bootstrap: str, topic: str, partitions: int) -> dict[int, int]:
    """Return the high watermark of every partition of a topic."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "questlog-bench-offsets", "log_level": 0})
    try:
        return {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in range(partitions)}
    finally:
        consumer.close()


class Baseline:
    """The baseline's two processes, its topic and its output folder for one run."""

    def __init__(self, settings: Settings, run_id: str, monitor: ResourceMonitor) -> None:
        self.settings, self.monitor = settings, monitor
        self.topic = f"baseline.events.{run_id}"
        self.out = f"{settings.hdfs}/bench/baseline/{run_id}"
        self.control = Path(settings.work_dir) / "baseline" / run_id
        self.control.mkdir(parents=True, exist_ok=True)
        self.logs = Path(settings.work_dir) / "logs"
        self.app: Managed | None = None
        self.job: Managed | None = None
        self.acknowledged = 0  # 2xx answers, each one event

    def start_app(self) -> None:
        """Start the Flask development server."""
        log.info("baseline: starting the Flask development server on port %d", self.settings.baseline_port)
        env = {
            "BASELINE_TOPIC": self.topic,
            "BASELINE_PORT": str(self.settings.baseline_port),
            "BASELINE_BOOTSTRAP": self.settings.bootstrap_servers,
        }
        self.app = Managed("baseline-api", [PYTHON, str(BASELINE / "app.py")], env, self.logs / "baseline-api.log")
        self.monitor.watch("baseline-api", self.app.pgid)
        # Its only page without an event type the job keeps: the 'default' event it logs is not counted.
        self.app.wait_until(http_ok(f"http://127.0.0.1:{self.settings.baseline_port}/"), 60)

    def ingest(self, body: str) -> list[ab.AbResult]:
        """ab on the single-event endpoint, same concurrencies and duration as ours."""
        results = []
        for c in self.settings.ab_concurrency:
            log.info("baseline: ab -c %d single POST /purchase_a_weapon", c)
            result = ab.run(
                f"http://127.0.0.1:{self.settings.baseline_port}/purchase_a_weapon",
                "baseline single POST /purchase_a_weapon",
                c,
                self.settings.ab_seconds,
                body,
                1,
                ("X-User-Id: bench-baseline",),
            )
            self.acknowledged += result.ok_requests
            results.append(result)
        return results

    def start_job(self) -> None:
        """Start the Spark job and wait until its queries run."""
        log.info("baseline: starting the Spark job, waiting for its first micro-batches")
        env = {
            **spark_env(),
            "BASELINE_TOPIC": self.topic,
            "BASELINE_OUT": self.out,
            "BASELINE_CONTROL": str(self.control),
        }
        self.job = Managed("baseline-spark", [PYTHON, str(BASELINE / "job.py")], env, self.logs / "baseline-spark.log")
        self.monitor.watch("baseline-spark", self.job.pgid)
        self.job.wait_until(lambda: (self.control / "started").exists(), 240)

    def freshness(self, user_prefix: str, progress: Callable[[int], None]) -> load.LoadResult:
        """Single-event load at the comparison rate; 200 means acknowledged (the baseline's only promise)."""
        s = self.settings
        result = load.run(
            f"http://127.0.0.1:{s.baseline_port}",
            load.single_requests(user_prefix, seed=21),
            s.compare_rate,
            s.compare_seconds,
            progress=progress,
        )
        self.acknowledged += len(result.acked)
        return result

    def finish(self, fresh: load.LoadResult) -> dict[str, Any]:
        """Stop the API the way a deploy would (SIGTERM), let the job catch up, count what reached the lake."""
        assert self.app is not None and self.job is not None
        # Classic Flask + kafka-python: SIGTERM ends the process; nothing flushes the send() buffer.
        self.app.stop(signal.SIGTERM)
        log.info("baseline: API stopped; waiting for the job to read the whole topic, then counting")
        offsets = end_offsets(self.settings.bootstrap_servers, self.topic, 3)
        in_kafka = sum(offsets.values())
        request = {"offsets": offsets, "timeout_s": self.settings.baseline_drain_seconds}
        (self.control / "drain.json").write_text(json.dumps(request))
        self.job.wait_until(lambda: (self.control / "result.json").exists(), self.settings.baseline_drain_seconds + 240)
        self.job.stop()
        result = json.loads((self.control / "result.json").read_text())
        in_lake = sum(result["counts"].values())
        # The readiness probe's 'default' event is in Kafka but not an acknowledged event of the three types.
        never_in_kafka = max(0, self.acknowledged - (in_kafka - 1))
        delays = [
            result["visible_ms"][event_id] / 1000 - acked
            for event_id, acked in fresh.acked.items()
            if result["visible_ms"].get(event_id) is not None
        ]
        return {
            "topic": self.topic,
            "output": self.out,
            "acknowledged_events": self.acknowledged,
            "in_kafka": in_kafka,
            "in_lake": in_lake,
            "in_lake_by_type": result["counts"],
            # Acknowledged but never written to Kafka: lost for good, whatever the job does.
            "lost_before_kafka": never_in_kafka,
            # ab counts only the answers it read before its time limit; requests in flight then were still
            # served, so the lake may hold a few more events than were counted as acknowledged.
            "not_in_lake": max(0, self.acknowledged - in_lake),
            # Lost end to end: only final once the job caught up with the topic.
            "lost_events": max(0, self.acknowledged - in_lake) if result["caught_up"] else never_in_kafka,
            "job_caught_up": result["caught_up"],
            "drain_timeout_s": request["timeout_s"],
            "failed_queries": result["failed_queries"],
            "freshness": {
                "achieved_events_per_s": round(fresh.events_per_s, 1),
                "requests": fresh.requests,
                "failed_requests": fresh.failed_requests,
                "late_requests": fresh.late_requests,
                "acknowledged_events": len(fresh.acked),
                "visible": len(delays),
                "freshness_s": {
                    k: round(v, 3) if isinstance(v, float) else v for k, v in stats.summary(delays).items()
                },
                "method": "per event: modification time of the Parquet file holding it (HDFS) minus the "
                "client's time of the 200",
            },
            "counting": "after the Flask server got SIGTERM, the job ran until its three queries had read to the "
            "topic's end offsets; then spark.read.parquet(output).count() per type (the file sink's own "
            "metadata log decides which files count). Acknowledged = 200 answers on the three "
            "event endpoints (the readiness probe's 'default' event is not kept by the classic job and not counted).",
        }

    def stop(self) -> None:
        """Stop whatever still runs."""
        for proc in (self.app, self.job):
            if proc is not None and proc.alive():
                proc.stop()
