"""`make demo`: simulate players and an ab run against the local stack, wait for the lake, write the report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import trino
from questlog_core.paths import repo_root
from questlog_core.registry import default_registry
from questlog_loadgen import game, sdk
from questlog_report.cli import main as write_report

ROOT = repo_root()
T = TypeVar("T")


def _lake() -> trino.dbapi.Connection:
    return trino.dbapi.connect(host="127.0.0.1", port=8080, user="questlog-demo", catalog="lake", schema="game")


def lake_counts(run_id: str) -> dict[str, int]:
    """Count the run's rows in each lake table."""
    with _lake() as conn:
        cur = conn.cursor()
        counts = {}
        for table in default_registry().event_tables:
            cur.execute(f"SELECT count(*) FROM {table} WHERE user_id LIKE '{run_id}%'")
            counts[table] = cur.fetchall()[0][0]
    return counts


def game_count(prefix: str) -> int:
    """Count the events of players whose user_id starts with `prefix` over every event table."""
    with _lake() as conn:
        cur = conn.cursor()
        cur.execute(f"SELECT count(*) FROM all_events WHERE user_id LIKE '{prefix}%'")
        return int(cur.fetchall()[0][0])


def wait_for_lake(read: Callable[[], T], expected: T, timeout_s: float = 300.0) -> T:
    """Poll the lake (`read`) until it returns `expected`, for at most timeout_s; return the last reading."""
    deadline = time.monotonic() + timeout_s
    got = read()
    while got != expected and time.monotonic() < deadline:
        print(f"  waiting for the lake: {got} of {expected}", flush=True)
        time.sleep(3)
        got = read()
    return got


def play_game(run_id: str, timeout_s: float = 300.0) -> tuple[int, int]:
    """Play 14 days of the game world through the API and wait (bounded) until the lake holds it;
    return (events in the lake, events sent, one per event_id)."""
    today = datetime.now(UTC).date()
    world = game.play(f"{run_id}-g", players=60, days=14, start=today - timedelta(days=16))
    game.deliver(world, world.deliveries, "http://127.0.0.1:5000")
    expected = sdk.world_events(world)
    return wait_for_lake(lambda: game_count(f"{run_id}-g"), expected, timeout_s), expected


def play_through_sdk(run_id: str, timeout_s: float = 300.0) -> tuple[int, int]:
    """Play 3 days of a few more players and send them as a game client with Segment's Python SDK does
    (POST /v1/batch); wait (bounded) until the lake holds them; return (in the lake, sent)."""
    today = datetime.now(UTC).date()
    world = game.play(f"{run_id}-s", players=12, days=3, start=today - timedelta(days=3))
    sdk.deliver(world.deliveries, "http://127.0.0.1:5000")
    expected = sdk.world_events(world)
    return wait_for_lake(lambda: game_count(f"{run_id}-s"), expected, timeout_s), expected


def main() -> int:
    """Run the demo end to end; exit non-zero if the lake does not match what the API acknowledged."""
    started = time.monotonic()
    run_id = "demo" + datetime.now(UTC).strftime("%m%d%H%M%S")
    truth_path = ROOT / "var" / "loadgen" / f"{run_id}-truth.json"
    python = sys.executable
    print(f"1/7 simulating players (run {run_id})", flush=True)
    subprocess.run(
        [python, "-m", "questlog_loadgen.simulate", "--run-id", run_id, "--truth-path", str(truth_path)],
        check=True,
        cwd=ROOT,
    )
    print("2/7 Apache Bench on the seed-style endpoints", flush=True)
    env = {**os.environ, "AB_TOTAL": os.environ.get("AB_TOTAL", "400"), "AB_USER_PREFIX": f"{run_id}-ab"}
    subprocess.run([str(ROOT / "loadgen" / "ab-load.sh")], check=True, cwd=ROOT, env=env)
    truth = json.loads(truth_path.read_text())
    expected = {t: truth["acknowledged"]["tables"][t]["events"] for t in default_registry().event_tables}
    print("3/7 waiting until the lake holds every acknowledged simulator event", flush=True)
    sim_only = wait_for_lake(lambda: lake_counts(f"{run_id}-p"), expected)
    if sim_only != expected:
        print(f"questlog: the lake holds {sim_only}, the API acknowledged {expected}", file=sys.stderr)
        return 1
    print(f"    lake matches the simulator's acknowledged events: {expected}")
    steps = [
        ("4/7 playing 14 days of the game (sessions, purchases, economy, progression)", play_game, "game events"),
        (
            "5/7 more players through Segment's Python SDK (POST /v1/batch, the SDK's batching and retries)",
            play_through_sdk,
            "events sent through the SDK",
        ),
    ]
    for title, play, what in steps:
        print(title, flush=True)
        played, sent = play(run_id)
        if played != sent:
            print(f"questlog: the lake holds {played} of the {sent} {what} the API accepted", file=sys.stderr)
            return 1
        print(f"    lake holds the run's {played} {what}")
    print("6/7 building the marts (make models)", flush=True)
    subprocess.run(["make", "--no-print-directory", "models"], check=True, cwd=ROOT)
    print("7/7 writing the report", flush=True)
    code = write_report(["--out", str(ROOT / "reports"), "--user-prefix", f"{run_id}-"])
    print(f"demo finished in {time.monotonic() - started:.0f} s; open {ROOT / 'reports' / 'report.html'}")
    return code


if __name__ == "__main__":
    sys.exit(main())
