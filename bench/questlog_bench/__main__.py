"""`make bench`: every measurement of issue #7 in one run, each beside its reference, into bench/results/."""

from __future__ import annotations

import logging
import os
import sys
import time
import traceback
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tqdm import tqdm

from questlog_bench import baseline, freshness, load, report, streamrate, tablesize
from questlog_bench.goals import goals
from questlog_bench.ingest import run_ingest
from questlog_bench.lake import Lake
from questlog_bench.payloads import TABLES
from questlog_bench.resources import ResourceMonitor, delta
from questlog_bench.settings import ROOT, Settings

log = logging.getLogger("questlog_bench")


class TqdmHandler(logging.Handler):
    """Log lines that do not break the progress bars."""

    def emit(self, record: logging.LogRecord) -> None:
        tqdm.write(self.format(record))


class Phases:
    """Run named phases, keeping CPU use per phase and going on after a failed one."""

    def __init__(self, monitor: ResourceMonitor, results: dict[str, Any]) -> None:
        self.monitor, self.results = monitor, results
        self.cpu_per_million: dict[str, dict[str, float]] = {}

    def run(self, name: str, func: Any, *args: Any) -> Any:
        log.info("phase %s: start", name)
        before, started = self.monitor.cpu_seconds(), time.monotonic()
        try:
            out = func(*args)
        except Exception as exc:  # noqa: BLE001 - a failed phase is reported, the others still run
            log.error("phase %s failed: %s", name, exc)
            self.results["errors"].append(f"{name}: {type(exc).__name__}: {exc}")
            log.debug(traceback.format_exc())
            return None
        used = delta(before, self.monitor.cpu_seconds())
        events = out.pop("_events", 0) if isinstance(out, dict) else 0
        if events:
            self.cpu_per_million[name] = {k: round(v / events * 1e6, 1) for k, v in used.items() if v > 0.5}
        log.info("phase %s: done in %.0f s", name, time.monotonic() - started)
        return out


def _bar(desc: str, total: int) -> tqdm:
    return tqdm(total=total, desc=desc, unit="ev", unit_scale=True, leave=False, mininterval=1.0)


def main() -> int:
    """Run every phase the settings select and write the results."""
    handler = TqdmHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    settings = Settings.from_env()
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    work = Path(settings.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "run_id": run_id,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": report.machine(),
        "settings": asdict(settings),
        # What else ran on the machine is for the person who runs it to say (BENCH_NOTES); the load
        # averages at start and end are recorded either way.
        "notes": settings.notes or "(no notes given: set BENCH_NOTES to say what else ran on the machine)",
        "errors": [],
    }
    monitor = ResourceMonitor(ROOT / "var" / "run")
    monitor.start()
    cpu_at_start = monitor.cpu_seconds()
    lake = Lake(settings.trino_host, settings.trino_port)
    phases = Phases(monitor, results)
    started = time.monotonic()
    wanted = settings.phases
    overall = tqdm(total=len(wanted), desc="bench phases", unit="phase", position=0)

    if "ingest" in wanted:
        results["ingest"] = phases.run("ingest", run_ingest, settings, run_id, monitor)
        overall.update()
    if "baseline" in wanted:
        results["baseline"] = phases.run("baseline", _baseline, settings, run_id, monitor)
        overall.update()
    if "freshness" in wanted:
        results["compare"] = {"ours": phases.run("compare", _compare, settings, run_id, lake)}
        if results.get("baseline") and "freshness" in results["baseline"]:
            results["compare"]["baseline"] = results["baseline"]["freshness"]
        results["freshness"] = {"ours": phases.run("freshness", _freshness, settings, run_id, lake)}
        overall.update()
    if "stream" in wanted:
        results["stream"] = phases.run("stream", _stream, settings, run_id, monitor)
        overall.update()
    if "tablesize" in wanted:
        results["tablesize"] = phases.run("tablesize", _tablesize, settings, run_id)
        overall.update()
    overall.close()
    for block in ("compare", "freshness"):
        run = (results.get(block) or {}).get("ours")
        if run:
            try:
                freshness.finish(lake, run)
            except Exception as exc:  # noqa: BLE001 - reported with the results
                results["errors"].append(f"{block}: final count: {type(exc).__name__}: {exc}")
    monitor.stop()
    results["resources"] = {
        "peak_rss_mib": {k: round(v) for k, v in monitor.peak_rss_mib.items()},
        "cpu_seconds": delta(cpu_at_start, monitor.cpu_seconds()),
        "cpu_per_million": phases.cpu_per_million,
        "method": "psutil, once a second, per process group (each stack service, and each process the benchmark "
        "starts); CPU seconds per million events = CPU used during a phase / events of that phase",
    }
    results["goals"] = [g.as_dict() for g in goals(results)]
    results["ended"] = datetime.now(UTC).isoformat(timespec="seconds")
    results["duration_s"] = round(time.monotonic() - started, 1)
    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    report.write(results, Path(settings.results_dir))
    print(report.markdown(results))
    return 1 if results["errors"] else 0


def _baseline(settings: Settings, run_id: str, monitor: ResourceMonitor) -> dict[str, Any]:
    from questlog_stack.bootstrap import create_topics

    from questlog_bench.payloads import write_single_file

    base = baseline.Baseline(settings, run_id, monitor)
    create_topics(settings.bootstrap_servers, {base.topic: 3})
    body = str(write_single_file(Path(settings.work_dir) / "payloads" / "single.json"))
    try:
        base.start_app()
        runs = [{"server": "baseline", "kind": "single", **r.as_dict()} for r in base.ingest(body)]
        base.start_job()
        with _bar("baseline load", int(settings.compare_rate * settings.compare_seconds)) as bar:
            fresh = base.freshness(f"bench-{run_id}-b", bar.update)
        out = base.finish(fresh)
    finally:
        base.stop()
    out["ingest_runs"] = runs
    out["_events"] = out["acknowledged_events"]
    return out


def _warm_up(settings: Settings, run_id: str, lake: Lake) -> None:
    """Send a few events and wait until they are visible, so the measurement starts on a running stream.

    After minutes without input the first micro-batch reopens the dedup state and the tables; that belongs
    to no load and would only hit the first seconds.
    """
    prefix = f"bench-{run_id}-w"
    make = load.batch_requests(prefix, 10, seed=1)
    result = load.run(settings.api_url, make, 2, 1.0, threads=1)
    deadline = time.monotonic() + settings.drain_seconds * 2
    while time.monotonic() < deadline and lake.count(TABLES, f"user_id LIKE '{prefix}%'") < len(result.acked):
        time.sleep(2)


def _compare(settings: Settings, run_id: str, lake: Lake) -> dict[str, Any]:
    _warm_up(settings, run_id, lake)
    prefix = f"bench-{run_id}-c"
    with _bar("ours single-event load", int(settings.compare_rate * settings.compare_seconds)) as bar:
        out = freshness.run_ours(
            lake,
            settings.api_url,
            load.single_requests(prefix, seed=21),
            settings.compare_rate,
            settings.compare_seconds,
            settings.drain_seconds,
            prefix,
            bar.update,
        )
    out["_events"] = out["acknowledged_events"]
    return out


def _freshness(settings: Settings, run_id: str, lake: Lake) -> dict[str, Any]:
    prefix = f"bench-{run_id}-f"
    with _bar("ours steady load", int(settings.fresh_rate * settings.fresh_seconds)) as bar:
        out = freshness.run_ours(
            lake,
            settings.api_url,
            load.batch_requests(prefix, settings.fresh_batch, seed=5),
            settings.fresh_rate / settings.fresh_batch,
            settings.fresh_seconds,
            settings.drain_seconds,
            prefix,
            bar.update,
        )
    out["target_events_per_s"] = settings.fresh_rate
    out["events_per_request"] = settings.fresh_batch
    out["_events"] = out["acknowledged_events"]
    return out


def _stream(settings: Settings, run_id: str, monitor: ResourceMonitor) -> dict[str, Any]:
    with _bar("prefill", settings.stream_events) as fill, _bar("stream", settings.stream_events) as bar:
        bench_lake = Lake(settings.trino_host, settings.trino_port, streamrate.BENCH_NAMESPACE)
        out = streamrate.run(settings, run_id, monitor, bench_lake, bar.update, fill.update)
    out["_events"] = out["stream"]["consumed"]
    return out


def _tablesize(settings: Settings, run_id: str) -> dict[str, Any]:
    with _bar("table size: live load", int(2 * settings.fresh_rate * settings.size_seconds)) as bar:
        bench_lake = Lake(settings.trino_host, settings.trino_port, tablesize.NAMESPACE)
        out = tablesize.run(settings, run_id, bench_lake, bar.update)
    out["_events"] = (out.get("empty") or {}).get("input_rows", 0) + (out.get("full") or {}).get("input_rows", 0)
    return out


if __name__ == "__main__":
    sys.exit(main())
