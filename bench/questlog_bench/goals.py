"""The issue's goals, computed from one run's results (pure: results in, goals out)."""

from __future__ import annotations

from typing import Any

from questlog_bench.stats import Goal, ratio


def _best(runs: list[dict[str, Any]], kind_prefix: str, key: str = "events_per_s") -> dict[str, Any] | None:
    picked = [r for r in runs if str(r.get("kind", "")).startswith(kind_prefix)]
    return max(picked, key=lambda r: r[key]) if picked else None


def ratios(results: dict[str, Any]) -> dict[str, float | None]:
    """Return the headline ratios of the run (None when a side was not measured)."""
    ingest = results.get("ingest") or {}
    runs = ingest.get("runs", [])
    base_runs = (results.get("baseline") or {}).get("ingest_runs", [])
    single, batch = _best(runs, "single"), _best(runs, "batch")
    base_single = _best(base_runs, "single")
    stream = results.get("stream") or {}
    ceiling = (ingest.get("producer_perf") or {}).get("records_per_s")
    return {
        # At the concurrency where our single-event rate is highest, against healthz at that concurrency.
        "single_vs_healthz": single.get("vs_healthz") if single else None,
        "batch_vs_producer_ceiling": ratio(batch["events_per_s"] if batch else None, ceiling),
        "ours_vs_baseline_single": ratio(
            single["events_per_s"] if single else None, base_single["events_per_s"] if base_single else None
        ),
        "ours_batch_vs_baseline": ratio(
            batch["events_per_s"] if batch else None, base_single["events_per_s"] if base_single else None
        ),
        "stream_vs_consumer_ceiling": ratio(
            (stream.get("stream") or {}).get("sustained_events_per_s"),
            (stream.get("consumer_perf") or {}).get("records_per_s"),
        ),
        "stream_vs_batch_intake": ratio(
            (stream.get("stream") or {}).get("sustained_events_per_s"), batch["events_per_s"] if batch else None
        ),
        "freshness_p95_ours_vs_baseline": ratio(
            (((results.get("compare") or {}).get("ours") or {}).get("freshness_s") or {}).get("p95"),
            (((results.get("compare") or {}).get("baseline") or {}).get("freshness_s") or {}).get("p95"),
        ),
    }


def goals(results: dict[str, Any]) -> list[Goal]:
    """Return every goal of the issue with what this run measured."""
    r = ratios(results)
    results["ratios"] = r
    batch = _best((results.get("ingest") or {}).get("runs", []), "batch")
    fresh = (results.get("freshness") or {}).get("ours") or {}
    lost_ours = None
    runs = [x for x in ((results.get("compare") or {}).get("ours"), fresh) if x]
    if runs:
        lost_ours = float(sum(x["acknowledged_events"] - x.get("in_lake", 0) for x in runs))
    stream = (results.get("stream") or {}).get("stream") or {}
    size = results.get("tablesize") or {}
    fresh_s = fresh.get("freshness_s") or {}
    compare = (results.get("compare") or {}).get("ours") or {}
    dup_ours = None
    if runs and all("duplicates" in x for x in runs):
        dup_ours = float(sum(x["duplicates"] for x in runs))
    return [
        Goal("single-event ingest / healthz (req/s)", r["single_vs_healthz"], 0.85),
        Goal("batch ingest, durable", batch["events_per_s"] if batch else None, 50_000, unit=" ev/s"),
        Goal(
            f"freshness p95 at {fresh.get('achieved_events_per_s', '-')} ev/s "
            f"(target rate {fresh.get('target_events_per_s', '-')}, {fresh.get('seconds', '-')} s)",
            fresh_s.get("p95"),
            5.0,
            higher_is_better=False,
            unit=" s",
        ),
        Goal("freshness p50 at the same load", fresh_s.get("p50"), 2.5, higher_is_better=False, unit=" s"),
        Goal(
            f"freshness p95 ours / baseline, single events at {compare.get('offered_requests_per_s', '-')} req/s",
            r["freshness_p95_ours_vs_baseline"],
            0.25,
            higher_is_better=False,
        ),
        Goal("stream sustained, pre-filled topic", stream.get("sustained_events_per_s"), 30_000, unit=" ev/s"),
        Goal("stream sustained / API durable batch intake", r["stream_vs_batch_intake"], 1.0),
        Goal("stream throughput / consumer ceiling", r["stream_vs_consumer_ceiling"], 0.06),
        Goal(
            f"batch duration p95, {size.get('rows_in_enter_battle', '-')} rows in the tables / empty tables",
            size.get("p95_full_vs_empty"),
            1.5,
            higher_is_better=False,
        ),
        Goal("ours / baseline ingest, single-event endpoint", r["ours_vs_baseline_single"], 3.0),
        Goal("ours / baseline ingest, our batch endpoint", r["ours_batch_vs_baseline"], 3.0),
        Goal(
            "events lost by ours (acknowledged, not in the lake at the end of the run)",
            lost_ours,
            0.0,
            higher_is_better=False,
        ),
        Goal("events duplicated by ours (rows beyond one per acknowledged id)", dup_ours, 0.0, higher_is_better=False),
    ]
