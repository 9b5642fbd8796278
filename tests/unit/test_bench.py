"""The benchmark's pure parts: percentiles, ratios, goals, tool output parsing and the Markdown report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from questlog_bench import ab, kafkaperf, report
from questlog_bench.goals import goals
from questlog_bench.lake import visible_at
from questlog_bench.settings import Settings, SettingsError
from questlog_bench.stats import Goal, percentile, ratio, summary

AB_OUTPUT = """
Concurrency Level:      8
Time taken for tests:   3.002 seconds
Complete requests:      1719
Failed requests:        2
Non-2xx responses:      5
Keep-Alive requests:    1719
Requests per second:    572.60 [#/sec] (mean)
Percentage of the requests served within a certain time (ms)
  50%      8
  66%     12
  99%     57
 100%    103 (longest request)
"""

PRODUCER_OUTPUT = (
    "71487 records sent, 14297.4 records/sec (5.45 MB/sec), 5089.1 ms avg latency, 6160.0 ms max latency.\n"
    "300000 records sent, 14051.5 records/sec (5.36 MB/sec), 4388.08 ms avg latency, 6733.00 ms max latency, "
    "4342 ms 50th, 6424 ms 95th, 6605 ms 99th, 6714 ms 99.9th.\n"
)

CONSUMER_OUTPUT = (
    "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, "
    "fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec\n"
    "2026-11-27 22:38:34:739, 2026-11-27 22:38:41:122, 114.4409, 17.9290, 300000, 46999.8433, 3572, 2811, "
    "40.7118, 106723.5859\n"
)


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile(values, 100) == 100
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 50) is None


def test_summary_and_ratio():
    assert summary([3.0, 1.0, 2.0]) == {"count": 3, "p50": 2.0, "p95": 3.0, "p99": 3.0, "max": 3.0}
    assert ratio(3.0, 4.0) == 0.75
    assert ratio(1.0, 0.0) is None
    assert ratio(None, 2.0) is None


def test_goal_status_in_both_directions():
    assert Goal("up", 0.9, 0.85).status == "pass"
    assert Goal("up", 0.2, 0.85).status == "miss"
    assert Goal("down", 4.0, 5.0, higher_is_better=False).status == "pass"
    assert Goal("down", 6.0, 5.0, higher_is_better=False).status == "miss"
    assert Goal("none", None, 1.0).status == "not measured"


def test_ab_summary_is_parsed_with_derived_rates():
    result = ab.parse(AB_OUTPUT, "single", 8, 1)
    assert (result.complete, result.failed, result.non_2xx) == (1719, 2, 5)
    assert (result.requests_per_s, result.p50_ms, result.p99_ms) == (572.60, 8.0, 57.0)
    assert result.ok_requests == 1712
    assert result.events_per_s == pytest.approx(1712 / 3.002)


def test_ab_without_summary_fails_clearly():
    with pytest.raises(ab.AbError, match="no summary"):
        ab.parse("apr_socket_recv: Connection refused (111)", "single", 8, 1)


def test_kafka_perf_outputs_are_parsed():
    producer = kafkaperf.parse_producer(PRODUCER_OUTPUT)
    assert (producer["records"], producer["records_per_s"], producer["p99_ms"]) == (300000, 14051.5, 6605)
    consumer = kafkaperf.parse_consumer(CONSUMER_OUTPUT)
    assert (consumer["records"], consumer["records_per_s"], consumer["rebalance_ms"]) == (300000, 46999.8433, 3572)
    with pytest.raises(kafkaperf.PerfError):
        kafkaperf.parse_consumer("Exception in thread main")


def test_visible_at_is_the_first_commit_at_or_after_landing():
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    commits = [t0 + timedelta(seconds=s) for s in (5, 10, 20)]
    assert visible_at(t0 + timedelta(seconds=6), commits) == commits[1]
    assert visible_at(t0 + timedelta(seconds=10), commits) == commits[1]
    assert visible_at(t0 + timedelta(seconds=21), commits) is None


def test_settings_from_env_reads_lists_and_refuses_bad_values():
    s = Settings.from_env({"BENCH_AB_CONCURRENCY": "4, 16", "BENCH_STREAM_EVENTS": "1000", "BENCH_PHASES": "stream"})
    assert (s.ab_concurrency, s.stream_events, s.phases) == ((4, 16), 1000, ("stream",))
    with pytest.raises(SettingsError, match="BENCH_STREAM_EVENTS"):
        Settings.from_env({"BENCH_STREAM_EVENTS": "many"})
    with pytest.raises(SettingsError, match="BENCH_FRESH_RATE"):
        Settings.from_env({"BENCH_FRESH_RATE": "0"})
    with pytest.raises(SettingsError, match="BENCH_PHASES"):
        Settings.from_env({"BENCH_PHASES": "ingest,warp"})


def _results() -> dict:
    run = {"server": "ours", "concurrency": 8, "failed": 0, "non_2xx": 0, "ok_requests": 10, "p50_ms": 1, "p99_ms": 2}
    return {
        "run_id": "r1",
        "started": "s",
        "ended": "e",
        "duration_s": 1.0,
        "notes": "shared machine",
        "machine": {"cores": 2, "cpu_model": "x", "ram_gib": 1, "kernel": "k", "load_average_at_start": [1, 1, 1]}
        | {"git_commit": "abc"},
        "ingest": {
            "record_bytes": 400,
            "producer_perf": {"records": 10, "records_per_s": 100_000.0, "p50_ms": 1, "p99_ms": 2},
            "runs": [
                {**run, "kind": "healthz", "label": "h", "requests_per_s": 1000.0, "events_per_s": 0.0},
                {**run, "kind": "single", "label": "s", "requests_per_s": 900.0, "events_per_s": 900.0}
                | {"vs_healthz": 0.9},
                {**run, "kind": "batch100", "label": "b", "requests_per_s": 600.0, "events_per_s": 60_000.0},
            ],
        },
        "baseline": {
            "ingest_runs": [
                {**run, "server": "baseline", "kind": "single", "label": "s", "requests_per_s": 200.0}
                | {"events_per_s": 200.0}
            ],
            "lost_events": 3,
            "acknowledged_events": 10,
            "in_kafka": 11,
            "in_lake": 7,
            "lost_before_kafka": 0,
            "not_in_lake": 3,
            "job_caught_up": True,
            "drain_timeout_s": 120,
        },
        "freshness": {
            "ours": {
                "acknowledged_events": 100,
                "in_lake": 100,
                "freshness_s": {"p50": 1.0, "p95": 6.0, "p99": 7.0, "max": 8.0},
            }
        },
        "stream": {
            "events": 1000,
            "prefill": {"avg_record_bytes": 300.0, "seconds": 1.0},
            "consumer_perf": {"records_per_s": 100.0, "records": 1000},
            "stream": {"sustained_events_per_s": 40.0, "consumed": 1000, "cpu_seconds_per_million": 5.0},
        },
    }


def test_goals_from_results():
    results = _results()
    by_name = {g.name: g for g in goals(results)}
    assert by_name["single-event ingest / healthz (req/s)"].status == "pass"
    assert by_name["batch ingest, durable"].status == "pass"
    assert by_name["stream throughput / consumer ceiling"].measured == pytest.approx(0.4)
    assert by_name["ours / baseline ingest, single-event endpoint"].measured == pytest.approx(4.5)
    assert by_name["events lost by ours (acknowledged, not in the lake at the end of the run)"].measured == 0
    fresh = next(g for name, g in by_name.items() if name.startswith("freshness p95"))
    assert fresh.status == "miss"
    assert results["ratios"]["batch_vs_producer_ceiling"] == pytest.approx(0.6)


def test_markdown_report_shows_goals_and_runs():
    results = _results()
    results["goals"] = [g.as_dict() for g in goals(results)]
    text = report.markdown(results)
    assert "| single-event ingest / healthz (req/s) | 0.900 | >= 0.850 | pass |" in text
    assert "| baseline | s | 8 | 200.0 |" in text
    assert "shared machine" in text
    assert "in the lake: 7" in text
    line = report.history_line(results)
    assert line["goals"]["batch ingest, durable"] == [60_000.0, "pass"]
