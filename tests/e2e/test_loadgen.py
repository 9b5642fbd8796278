"""Loadgen -> API -> Kafka -> stream -> Trino: the lake holds exactly what the load generators sent."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from typing import Any

from questlog_core.registry import default_registry

from tests.conftest import ROOT
from tests.e2e.conftest import API, wait_for
from tests.integration.conftest import query

AB_LOAD = ROOT / "loadgen" / "ab-load.sh"
PAYLOADS = ROOT / "loadgen" / "payloads"
TABLES = {
    "/purchase_a_weapon": "purchase_weapon",
    "/join_a_guild": "join_guild",
    "/enter_a_battle": "enter_battle",
}
RUN_LINE = re.compile(r"^run \d+/\d+ (POST|GET) (\S+) payload=(\S*) user=(\S+) n=(\d+) ")


def lake_summary(cursor, prefix: str) -> dict[str, Any]:
    """Summarise the lake's rows of one run the way the truth file does."""
    like = f"user_id LIKE '{prefix}%'"
    summary: dict[str, Any] = {}
    for table in default_registry().event_tables:
        [[events, ids, users]] = query(
            cursor,
            f"SELECT count(*), count(DISTINCT event_id), count(DISTINCT user_id) FROM {table} WHERE {like}",
        )
        days = query(cursor, f"SELECT CAST(date(event_ts) AS varchar), count(*) FROM {table} WHERE {like} GROUP BY 1")
        hosts = query(cursor, f"SELECT host, count(*) FROM {table} WHERE {like} GROUP BY 1")
        summary[table] = {
            "events": events,
            "ids": ids,
            "users": users,
            "by_day": dict(days),
            "by_host": dict(hosts),
        }
    [[gold]] = query(cursor, f"SELECT coalesce(sum(gold_cost), 0) FROM purchase_weapon WHERE {like}")
    weapons = query(
        cursor, f"SELECT weapon_type, count(*), sum(gold_cost) FROM purchase_weapon WHERE {like} GROUP BY 1"
    )
    gold_by_host = query(cursor, f"SELECT host, sum(gold_cost) FROM purchase_weapon WHERE {like} GROUP BY 1")
    enemies = query(
        cursor, f"SELECT enemy, count(*), count_if(outcome = 'won') FROM enter_battle WHERE {like} GROUP BY 1"
    )
    guilds = query(cursor, f"SELECT guild_name, count(*) FROM join_guild WHERE {like} GROUP BY 1")
    [[bad]] = query(cursor, f"SELECT count(*) FROM bad_events WHERE {like}")
    summary["purchase_weapon"] |= {
        "gold": gold,
        "by_weapon": {w: {"events": n, "gold": g} for w, n, g in weapons},
        "gold_by_host": dict(gold_by_host),
    }
    summary["enter_battle"]["by_enemy"] = {e: {"battles": n, "wins": w} for e, n, w in enemies}
    summary["join_guild"]["by_guild"] = dict(guilds)
    summary["bad_events"] = bad
    return summary


def expected_from_truth(truth: dict[str, Any]) -> dict[str, Any]:
    """Pick the numbers lake_summary measures out of a simulator truth file."""
    tables = truth["generated"]["tables"]
    expected: dict[str, Any] = {}
    for table, t in tables.items():
        expected[table] = {k: t[k] for k in ("events", "users", "by_day", "by_host")} | {"ids": t["events"]}
    expected["purchase_weapon"] |= {k: tables["purchase_weapon"][k] for k in ("gold", "by_weapon", "gold_by_host")}
    expected["enter_battle"]["by_enemy"] = tables["enter_battle"]["by_enemy"]
    expected["join_guild"]["by_guild"] = tables["join_guild"]["by_guild"]
    expected["bad_events"] = truth["sent"]["malformed_sent"]
    return expected


def test_simulated_players_land_in_the_lake_as_the_truth_file_says(trino_cursor, unique, tmp_path):
    run_id = f"e2e{unique}"
    truth_path = tmp_path / "truth.json"
    # A unique seed and run id: this run's users and event ids are its own.
    args = [
        "--run-id",
        run_id,
        "--seed",
        str(int(unique[:6], 16)),
        "--players",
        "40",
        "--days",
        "4",
        "--rate",
        "3000",
        "--duplicate-rate",
        "0.03",
        "--malformed-rate",
        "0.02",
        "--late-rate",
        "0.1",
        "--truth-path",
        str(truth_path),
        "--api-url",
        API,
        "--no-progress",
    ]
    done = subprocess.run(
        [sys.executable, "-m", "questlog_loadgen.simulate", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    truth = json.loads(truth_path.read_text())
    assert truth["acknowledged"] == truth["generated"]
    assert truth["sent"]["duplicates_sent"] > 0 and truth["sent"]["malformed_sent"] > 0
    assert truth["api"]["malformed_rejected"] == truth["sent"]["malformed_sent"]
    expected = expected_from_truth(truth)
    landed = wait_for(lambda: lake_summary(trino_cursor, f"{run_id}-"), expected, timeout_s=180)
    assert landed == expected
    # The report counts late events as delivered long after they happened; the lake keeps event_ts as sent.
    assert truth["generated"]["late_events"] > 0


def ab_plan(stdout: str) -> list[tuple[str, str, str, int]]:
    """Return (path, payload, user, requests) of every run the ab driver reported."""
    runs = []
    for line in stdout.splitlines():
        match = RUN_LINE.match(line)
        if match:
            runs.append((match[2], match[3], match[4], int(match[5])))
    return runs


def test_ab_load_lands_in_the_lake(trino_cursor, unique):
    prefix = f"ab{unique}"
    done = subprocess.run(
        [
            str(AB_LOAD),
            "-n",
            "60",
            "-r",
            "6",
            "-c",
            "3",
            "-u",
            "5",
            "-p",
            prefix,
            "-U",
            API,
            "-s",
            str(int(unique[:4], 16)),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "total: 60 requests" in done.stdout and "0 failed, 0 non-2xx" in done.stdout
    runs = ab_plan(done.stdout)
    assert sum(n for *_, n in runs) == 60
    events, gold, host_is_user = Counter(), 0, 0
    for path, payload, user, n in runs:
        if path in TABLES:
            events[TABLES[path]] += n
            host_is_user += n * user.endswith(".players.example")
        if path == "/purchase_a_weapon":
            gold += n * json.loads((PAYLOADS / payload).read_text())["gold_cost"]
    like = f"user_id LIKE '{prefix}-%'"

    def landed():
        counts = {t: query(trino_cursor, f"SELECT count(*) FROM {t} WHERE {like}")[0][0] for t in TABLES.values()}
        [[spent]] = query(trino_cursor, f"SELECT coalesce(sum(gold_cost), 0) FROM purchase_weapon WHERE {like}")
        same = sum(
            query(trino_cursor, f"SELECT count(*) FROM {t} WHERE {like} AND host = user_id")[0][0]
            for t in TABLES.values()
        )
        return {"events": counts, "gold": spent, "host_is_user": same}

    expected = {"events": {t: events[t] for t in TABLES.values()}, "gold": gold, "host_is_user": host_is_user}
    assert wait_for(landed, expected, timeout_s=180) == expected


def test_ab_load_fails_when_the_api_refuses(tmp_path, unique):
    for kind, body in {
        "weapon": {"weapon_type": "axe", "gold_cost": -1},
        "guild": {"guild_name": ""},
        "battle": {"enemy": "orc", "outcome": "draw"},
    }.items():
        (tmp_path / kind).mkdir()
        (tmp_path / kind / "00.json").write_text(json.dumps(body))
    done = subprocess.run(
        [str(AB_LOAD), "-n", "6", "-r", "2", "-p", f"abbad{unique}", "-U", API, "-s", "3"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": "/usr/bin:/bin", "AB_PAYLOADS": str(tmp_path)},
    )
    refused = [r for r in ab_plan(done.stdout) if r[0] != "/"]
    assert refused, done.stdout
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{sum(n for *_, n in refused)} non-2xx" in done.stdout.splitlines()[-1]
