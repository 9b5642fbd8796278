"""Results: the machine, JSON, a Markdown table and a one-line-per-run history."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

import psutil

from questlog_bench.settings import ROOT


def machine() -> dict[str, Any]:
    """Describe the machine and the pinned versions the run used."""
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line), "")
    versions = {}
    for line in (ROOT / "stack" / "versions.env").read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            if key.endswith("_VERSION"):
                versions[key] = value
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT, check=False
    )
    return {
        "cpu_model": model,
        "cores": os.cpu_count(),
        "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "versions": versions,
        "git_commit": commit.stdout.strip(),
    }


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def markdown(results: dict[str, Any]) -> str:
    """Render the results as Markdown tables."""
    m = results["machine"]
    lines = [
        f"# questlog benchmark, run {results['run_id']}",
        "",
        f"{results['started']} to {results['ended']} ({_fmt(results['duration_s'], 0)} s). "
        f"Machine: {m['cores']} cores ({m['cpu_model']}), {m['ram_gib']} GiB RAM, kernel {m['kernel']}, "
        f"load average at start {m['load_average_at_start']}, at end {results.get('load_average_at_end')}. "
        f"Commit {m['git_commit']}.",
        "",
        f"Notes: {results['notes']}",
        "",
        "## Goals",
        "",
        "| goal | measured | target | status |",
        "|---|---:|---:|---|",
    ]
    for g in results["goals"]:
        lines.append(
            f"| {g['name']} | {_fmt(g['measured'], 3)}{g['unit']} "
            f"| {g['comparison']} {_fmt(g['target'], 3)}{g['unit']} | {g['status']} |"
        )
    ingest = results.get("ingest")
    if ingest:
        lines += [
            "",
            "## API ingest (ab -k)",
            "",
            f"Kafka producer ceiling (producer-perf, {_fmt(ingest['producer_perf'].get('records'))} records of "
            f"{ingest['record_bytes']} B, acks=all, idempotent): "
            f"**{_fmt(ingest['producer_perf'].get('records_per_s'))} records/s**, "
            f"p50 {ingest['producer_perf'].get('p50_ms')} ms, p99 {ingest['producer_perf'].get('p99_ms')} ms.",
            "",
            "| server | run | c | requests/s | events/s | p50 ms | p99 ms | 2xx | failed+non-2xx | vs healthz |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in ingest["runs"] + (results.get("baseline") or {}).get("ingest_runs", []):
            lines.append(
                f"| {r['server']} | {r['label']} | {r['concurrency']} | {_fmt(r['requests_per_s'])} | "
                f"{_fmt(r['events_per_s'])} | {_fmt(r['p50_ms'], 0)} | {_fmt(r['p99_ms'], 0)} | "
                f"{_fmt(r['ok_requests'])} | "
                f"{_fmt(r['failed'] + r['non_2xx'])} | {_fmt(r.get('vs_healthz'), 3)} |"
            )
    for key, title in (
        ("freshness", "End-to-end freshness (ours, steady load)"),
        ("compare", "Freshness side by side"),
    ):
        block = results.get(key)
        if not block:
            continue
        lines += ["", f"## {title}", "", "| run | events/s | acked | in lake | lost | p50 s | p95 s | p99 s | max s |"]
        lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for name, run in block.items():
            if not isinstance(run, dict) or "freshness_s" not in run:
                continue
            f = run["freshness_s"]
            lines.append(
                f"| {name} | {_fmt(run.get('achieved_events_per_s'))} | {_fmt(run.get('acknowledged_events'))} | "
                f"{_fmt(run.get('in_lake', run.get('visible')))} | {_fmt(run.get('lost_events'))} | "
                f"{_fmt(f['p50'], 2)} | {_fmt(f['p95'], 2)} | "
                f"{_fmt(f['p99'], 2)} | {_fmt(f['max'], 2)} |"
            )
            if run.get("polled_sample_s", {}).get("count"):
                p = run["polled_sample_s"]
                lines.append(
                    f"| {name}, Trino poll of a 1% sample | | {_fmt(p['count'])} | | | {_fmt(p['p50'], 2)} | "
                    f"{_fmt(p['p95'], 2)} | {_fmt(p['p99'], 2)} | {_fmt(p['max'], 2)} |"
                )
    base = results.get("baseline")
    if base and "lost_events" in base:
        lines += [
            "",
            "## Baseline (Flask dev server + kafka-python send(), UDF Spark job, Parquet every 10 s)",
            "",
            f"Acknowledged (200) events: {_fmt(base['acknowledged_events'])}; in Kafka: {_fmt(base['in_kafka'])}; "
            f"in the lake: {_fmt(base['in_lake'])}; acknowledged but never in Kafka: "
            f"**{_fmt(base['lost_before_kafka'])}**; not in the lake when counted: {_fmt(base['not_in_lake'])} "
            f"(the job had caught up with the topic: {base['job_caught_up']}; "
            f"drain limit {base['drain_timeout_s']} s after the load ended).",
        ]
    stream = results.get("stream")
    if stream and "stream" in stream:
        s, c = stream["stream"], stream["consumer_perf"]
        lines += [
            "",
            "## Stream throughput",
            "",
            f"Topic pre-filled with {_fmt(stream['events'])} events ({stream['prefill']['avg_record_bytes']} B avg) "
            f"in {stream['prefill']['seconds']} s.",
            "",
            "| reader | events/s | events read | CPU s per M events |",
            "|---|---:|---:|---:|",
            f"| Kafka consumer-perf | {_fmt(c['records_per_s'])} | {_fmt(c['records'])} | - |",
            f"| questlog stream (sustained) | {_fmt(s.get('sustained_events_per_s'))} | {_fmt(s['consumed'])} | "
            f"{_fmt(s.get('cpu_seconds_per_million'))} |",
        ]
    size = results.get("tablesize")
    if size and size.get("empty"):
        lines += [
            "",
            "## Batch duration against table size",
            "",
            f"{_fmt(size['rate'])} events/s written straight to Kafka for {_fmt(size['seconds'])} s, twice: over empty "
            f"tables, then with {_fmt(size.get('rows_in_enter_battle'))} rows in enter_battle "
            f"(inserted by Trino in {_fmt(size.get('insert_seconds'))} s).",
            "",
            "| tables | batches | input rows | batch p50 s | batch p95 s | max s |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for name in ("empty", "full"):
            b = size.get(name) or {}
            d = b.get("duration_s") or {}
            lines.append(
                f"| {name} | {_fmt(b.get('batches'))} | {_fmt(b.get('input_rows'))} | {_fmt(d.get('p50'), 2)} | "
                f"{_fmt(d.get('p95'), 2)} | {_fmt(d.get('max'), 2)} |"
            )
        lines += ["", f"p95 full / empty: {_fmt(size.get('p95_full_vs_empty'), 2)}"]
    res = results.get("resources")
    if res:
        lines += ["", "## Resources", "", "| service | peak RSS MiB | CPU s during the run |", "|---|---:|---:|"]
        for name, mib in sorted(res["peak_rss_mib"].items()):
            lines.append(f"| {name} | {_fmt(mib, 0)} | {_fmt(res['cpu_seconds'].get(name), 1)} |")
        lines += ["", "CPU seconds per million events, by phase:", ""]
        for phase, per in res.get("cpu_per_million", {}).items():
            shown = ", ".join(f"{k} {_fmt(v)}" for k, v in per.items() if v)
            lines.append(f"- {phase}: {shown}")
    if results.get("ratios"):
        lines += ["", "## Ratios", "", "| ratio | value |", "|---|---:|"]
        lines += [f"| {k} | {_fmt(v, 3)} |" for k, v in results["ratios"].items()]
    if results.get("errors"):
        lines += ["", "## Errors", ""] + [f"- {e}" for e in results["errors"]]
    return "\n".join(lines) + "\n"


def history_line(results: dict[str, Any]) -> dict[str, Any]:
    """Return the one-line summary appended to history.jsonl."""
    return {
        "run_id": results["run_id"],
        "started": results["started"],
        "commit": results["machine"]["git_commit"],
        "load_average_at_start": results["machine"]["load_average_at_start"],
        "goals": {g["name"]: [g["measured"], g["status"]] for g in results["goals"]},
        "baseline_lost_events": (results.get("baseline") or {}).get("lost_events"),
    }


def write(results: dict[str, Any], folder: Path) -> None:
    """Write latest.json, latest.md and append to history.jsonl."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "latest.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    (folder / "latest.md").write_text(markdown(results))
    with open(folder / "history.jsonl", "a") as f:
        f.write(json.dumps(history_line(results), default=str) + "\n")
