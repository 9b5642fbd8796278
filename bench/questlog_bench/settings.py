"""Benchmark configuration: one frozen dataclass, read from BENCH_* at the entry point."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from questlog_core.paths import repo_root
from questlog_core.settings import SettingsError as CoreSettingsError
from questlog_core.settings import read

PREFIX = "BENCH_"
ROOT = repo_root()


class SettingsError(CoreSettingsError):
    """A BENCH_* variable has a value the benchmark cannot use."""


@dataclass(frozen=True)
class Settings:
    """Sizes and durations of every phase; defaults are what the issue asks for."""

    # API ingest (ab): seconds per ab run and the concurrencies tried.
    ab_seconds: float = 8.0
    ab_concurrency: tuple[int, ...] = (8, 32)
    batch_sizes: tuple[int, ...] = (100, 1000)
    # Kafka's producer perf tool: records and record size (about one enriched event).
    producer_perf_records: int = 500_000
    record_bytes: int = 400
    # End-to-end freshness at a steady rate (batched POST /v1/events).
    fresh_rate: int = 2000
    fresh_seconds: float = 180.0
    fresh_batch: int = 20
    # Freshness side by side with the baseline, single-event requests at a rate both can take.
    compare_rate: int = 200
    compare_seconds: float = 30.0
    # Stream throughput from a pre-filled topic.
    # The job reads what it can within stream_max_seconds; the rate is measured over that window.
    stream_events: int = 5_000_000
    stream_max_seconds: float = 240.0
    # Batch durations over empty tables, then over tables holding table_rows more rows (same live load).
    size_seconds: float = 60.0
    table_rows: int = 20_000_000
    # `make bench-erasure`: a table of erasure_rows rows of erasure_players players (erasure_inserts inserts:
    # many files), then one erasure and a batch of erasure_batch at once.
    erasure_rows: int = 5_000_000
    erasure_players: int = 10_000
    erasure_inserts: int = 20
    erasure_batch: int = 100
    # How long to wait for the last events to become visible after a load ends.
    drain_seconds: float = 60.0
    baseline_drain_seconds: float = 120.0
    # Which parts to run (all by default): ingest,baseline,freshness,stream,tablesize.
    phases: tuple[str, ...] = ("ingest", "baseline", "freshness", "stream", "tablesize")
    api_url: str = "http://127.0.0.1:5000"
    bench_api_port: int = 5001
    baseline_port: int = 5100
    bootstrap_servers: str = "127.0.0.1:9092"
    trino_host: str = "127.0.0.1"
    trino_port: int = 8080
    hdfs: str = "hdfs://127.0.0.1:8020"
    results_dir: str = str(ROOT / "bench" / "results")
    work_dir: str = str(ROOT / "var" / "bench")
    notes: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read BENCH_* variables (e.g. BENCH_STREAM_EVENTS=1000000); fail naming the variable."""
        env = os.environ if env is None else env
        values = read(cls, PREFIX, env, SettingsError, positive=True)
        unknown = set(values.get("phases", ())) - set(cls.phases)  # type: ignore[arg-type]
        if unknown:
            raise SettingsError(f"{PREFIX}PHASES names unknown phases {sorted(unknown)}; known: {cls.phases}")
        return cls(**values)  # type: ignore[arg-type]
