"""`make bench-erasure`: how long player erasure takes on a lake of millions of rows, one player and a batch.

On the running local stack (`make up`): Trino fills a table of its own, `lake.bench_erasure.events`,
with BENCH_ERASURE_ROWS rows of BENCH_ERASURE_PLAYERS players over the last 14 days (in
BENCH_ERASURE_INSERTS inserts, so it has many files, as a streamed table does). The processor erases
from every table of the catalog with a user_id column, so it treats this table like the marts, and scans
lake.game's tables too. Then one erasure through the API, timed from the request to `done`, and a batch
of BENCH_ERASURE_BATCH players requested at once, timed from the first request to the last `done`. The
processor's own time per pass comes from stream-maintenance's progress file. Results go to
bench/results/erasure.md and erasure.json; the table is dropped at the end.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from questlog_stack.paths import Paths
from tqdm import tqdm

from questlog_bench import report
from questlog_bench.lake import Lake
from questlog_bench.settings import Settings

log = logging.getLogger("questlog_bench.erasure")
SCHEMA = "bench_erasure"
DAYS = 14


def _admin() -> dict[str, str]:
    return {"X-Admin-Key": (Paths.from_env().var / "secrets" / "admin-key").read_text().strip()}


def _player(run: str, n: int) -> str:
    return f"bench-erase-{run}-p{n}"


def fill(lake: Lake, settings: Settings, run: str) -> dict[str, Any]:
    """Create and fill the benchmark's table; return its size."""
    lake.query(f"CREATE SCHEMA IF NOT EXISTS lake.{SCHEMA} WITH (location = '{settings.hdfs}/warehouse/{SCHEMA}.db')")
    lake.query(f"DROP TABLE IF EXISTS lake.{SCHEMA}.events")
    lake.query(
        f"CREATE TABLE lake.{SCHEMA}.events (event_id varchar, user_id varchar, event_ts timestamp(6) with time zone, "
        "gold_cost bigint, weapon_type varchar) WITH (partitioning = ARRAY['day(event_ts)'])"
    )
    per = settings.erasure_rows // settings.erasure_inserts
    span_ms = DAYS * 86_400_000
    started = time.monotonic()
    for i in tqdm(range(settings.erasure_inserts), desc="fill lake.bench_erasure.events", unit="insert"):
        lake.query(
            f"INSERT INTO lake.{SCHEMA}.events SELECT CAST(uuid() AS varchar), "
            f"concat('bench-erase-{run}-p', CAST(x % {settings.erasure_players} AS varchar)), "
            f"date_add('millisecond', -((x * 7919) % {span_ms}), current_timestamp), x % 500, "
            "IF(x % 3 = 0, 'sword', 'bow') "
            # Trino's sequence() stops at 10,000 entries: chunks of 5,000, crossed.
            f"FROM (SELECT {i * per} + a * 5000 + b AS x FROM UNNEST(sequence(0, {per // 5000 - 1})) AS s(a) "
            "CROSS JOIN UNNEST(sequence(0, 4999)) AS t(b))"
        )
    rows, players = lake.query(f"SELECT count(*), count(DISTINCT user_id) FROM lake.{SCHEMA}.events")[0]
    files = lake.query(f'SELECT count(*), sum(file_size_in_bytes) FROM lake.{SCHEMA}."events$files"')[0]
    return {
        "rows": int(rows),
        "players": int(players),
        "data_files": int(files[0]),
        "data_mib": round(int(files[1]) / 2**20, 1),
        "fill_seconds": round(time.monotonic() - started, 1),
    }


def _status(api: str, erasure: str) -> dict[str, Any]:
    answer = requests.get(f"{api}/v1/admin/erasures/{erasure}", headers=_admin(), timeout=30)
    answer.raise_for_status()
    return answer.json()  # type: ignore[no-any-return]


def _maintenance_pass() -> dict[str, Any]:
    path = Paths.from_env().var / "run" / "stream-maintenance.progress.json"
    try:
        return json.loads(path.read_text()).get("erasures") or {}
    except (OSError, ValueError):
        return {}


def erase(api: str, users: list[str], timeout_s: float = 1800) -> dict[str, Any]:
    """Request the erasure of `users` at once; wait until every one is done; return the timings."""
    started, since = time.monotonic(), datetime.now(UTC).isoformat()

    def request(user: str) -> str:
        answer = requests.post(f"{api}/v1/admin/erasures", json={"user_id": user}, headers=_admin(), timeout=60)
        answer.raise_for_status()
        return str(answer.json()["erasure_id"])

    with ThreadPoolExecutor(max_workers=16) as pool:
        ids = list(pool.map(request, users))
    requested = time.monotonic() - started
    passes: list[dict[str, Any]] = []
    done: dict[str, dict[str, Any]] = {}
    bar = tqdm(total=len(ids), desc=f"erase {len(ids)} player(s)", unit="player")
    while len(done) < len(ids) and time.monotonic() - started < timeout_s:
        time.sleep(1)
        for erasure in ids:
            if erasure not in done:
                status = _status(api, erasure)
                if status["status"] == "done":
                    done[erasure] = status
                    bar.update()
        summary = _maintenance_pass()
        # Only the passes that ended after the requests (the progress file keeps the previous one).
        if summary.get("erased") and summary.get("at", "") >= since and summary not in passes:
            passes.append(summary)
    bar.close()
    completed = {s["completed_at"][:19] for s in done.values()}
    return {
        "players": len(users),
        "done": len(done),
        "request_seconds": round(requested, 2),
        "seconds_to_all_done": round(time.monotonic() - started, 1),
        "rows_deleted": sum(sum(s["rows_deleted"].values()) for s in done.values()),
        "processor_passes": passes,
        "distinct_completion_seconds": len(completed),
    }


def run(settings: Settings) -> dict[str, Any]:
    lake = Lake(settings.trino_host, settings.trino_port, SCHEMA)
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    results: dict[str, Any] = {"run_id": run_id, "started": datetime.now(UTC).isoformat(timespec="seconds")}
    results["machine"] = report.machine()
    results["notes"] = settings.notes or "(no notes given: set BENCH_NOTES to say what else ran on the machine)"
    try:
        results["table"] = fill(lake, settings, run_id)
        log.info("table: %s", results["table"])
        before = int(lake.query(f"SELECT count(*) FROM lake.{SCHEMA}.events")[0][0])
        results["one"] = erase(settings.api_url, [_player(run_id, 42)])
        log.info("one player: %s", results["one"])
        batch = [_player(run_id, 1000 + i) for i in range(settings.erasure_batch)]
        results["batch"] = erase(settings.api_url, batch)
        log.info("batch: %s", results["batch"])
        after = int(lake.query(f"SELECT count(*) FROM lake.{SCHEMA}.events")[0][0])
        left = lake.query(
            f"SELECT count(*) FROM lake.{SCHEMA}.events WHERE user_id = '{_player(run_id, 42)}' "
            f"OR user_id IN ({', '.join(repr(u) for u in batch)})"
        )[0][0]
        deleted = results["one"]["rows_deleted"] + results["batch"]["rows_deleted"]
        results["check"] = {
            "rows_before": before,
            "rows_after": after,
            "rows_deleted_reported": deleted,
            "others_untouched": before - after == deleted,
            "rows_of_erased_players_left": int(left),
        }
    finally:
        lake.query(f"DROP TABLE IF EXISTS lake.{SCHEMA}.events")
    results["ended"] = datetime.now(UTC).isoformat(timespec="seconds")
    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return results


def markdown(r: dict[str, Any]) -> str:
    t, one, batch = r["table"], r["one"], r["batch"]

    def passes(x: dict[str, Any]) -> str:
        return ", ".join(f"{p.get('erased')} player(s) in {p.get('seconds')} s" for p in x["processor_passes"]) or "-"

    return "\n".join(
        [
            f"# questlog erasure benchmark, run {r['run_id']}",
            "",
            f"{r['started']} to {r['ended']}. Machine: {r['machine']['cores']} cores, {r['machine']['ram_gib']} GiB, "
            f"load average at start {r['machine']['load_average_at_start']}, at end {r['load_average_at_end']}. "
            f"Commit {r['machine']['git_commit']}.",
            "",
            f"Notes: {r['notes']}",
            "",
            f"Lake: `lake.bench_erasure.events`, {t['rows']:,} rows of {t['players']:,} players over {DAYS} days, "
            f"{t['data_files']} data files ({t['data_mib']} MiB), filled by Trino in {t['fill_seconds']} s; plus "
            "whatever lake.game and lake.marts held.",
            "",
            "| erasure | players | rows deleted | request to all done | processor passes (from its progress file) |",
            "|---|---:|---:|---:|---|",
            f"| one player | 1 | {one['rows_deleted']} | {one['seconds_to_all_done']} s | {passes(one)} |",
            f"| a batch | {batch['players']} | {batch['rows_deleted']} | {batch['seconds_to_all_done']} s "
            f"| {passes(batch)} |",
            "",
            f"Check: rows before {r['check']['rows_before']:,}, after {r['check']['rows_after']:,}, reported deleted "
            f"{r['check']['rows_deleted_reported']:,}; other players untouched: {r['check']['others_untouched']}; "
            f"rows of erased players left: {r['check']['rows_of_erased_players_left']}.",
            "",
            "Goal (issue #15): one player among >= 5 M rows in <= 5 minutes; a batch of 100 about as costly as one. "
            "Request to done includes waiting for the stream's acknowledgement and for stream-maintenance to "
            "finish the pass it was in (compaction of every table every 5 minutes).",
            "",
        ]
    )


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", datefmt="%H:%M:%S")
    settings = Settings.from_env()
    results = run(settings)
    out = Path(settings.results_dir)
    (out / "erasure.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    text = markdown(results)
    (out / "erasure.md").write_text(text)
    print(text)
    ok = results["check"]["others_untouched"] and results["check"]["rows_of_erased_players_left"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
