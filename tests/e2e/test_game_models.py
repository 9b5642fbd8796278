"""The game analytics path for real: simulator -> API -> Kafka -> stream -> lake -> `make models` -> marts.

Fourteen days of play (clock skew with sent_at, late offline sessions, retries with the same event_id and
purchases re-logged with the same transaction_id, sessions with and without ids, churn and comebacks) are
sent through the API; `make models` builds the marts in a schema of the test's own, over the test's
players only; every figure must equal the ground truth computed from what was played.
"""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import requests
from questlog_core.paths import repo_root
from questlog_loadgen import game_truth as truth
from questlog_loadgen.game import Delivery, Played, Session, World, format_ts, play
from questlog_loadgen.game import deliver as send

from tests.e2e.conftest import API, EXTERNAL, HEADERS, wait_for
from tests.integration.conftest import query

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(EXTERNAL, reason="builds the marts with `make models` against the local stack's Trino"),
]
DAYS = 14
# Instants in the lake carry the delivery's latency (derived_ts uses the real receive time).
LATENCY = timedelta(seconds=5)


def deliver(world: World, deliveries: list[Delivery]) -> None:
    assert send(world, deliveries, API, HEADERS) == sum(len(d.events) for d in deliveries)


def models(schema: str, prefix: str) -> None:
    env = {**os.environ, "QUESTLOG_MODELS_SCHEMA": schema, "QUESTLOG_MODELS_USER_PREFIX": prefix}
    done = subprocess.run(
        ["make", "--no-print-directory", "models"],
        cwd=repo_root(),
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]


def table(cursor, schema: str, name: str, key: tuple[str, ...]) -> dict[Any, dict[str, Any]]:
    cursor.execute(f"SELECT * FROM lake.{schema}.{name}")
    columns = [d[0] for d in cursor.description]
    out = {}
    for values in cursor.fetchall():
        row = dict(zip(columns, values, strict=True))
        row.pop("last_landed_at", None)
        k = tuple(row.pop(c) for c in key)
        out[k[0] if len(k) == 1 else k] = row
    return out


def marts(cursor, schema: str) -> dict[str, dict]:
    return {
        "sessions": table(cursor, schema, "sessions", ("user_id", "session_id")),
        "player_daily": table(cursor, schema, "player_daily", ("day", "user_id")),
        "kpi_daily": table(cursor, schema, "kpi_daily", ("day",)),
        "retention": table(cursor, schema, "retention", ("cohort_day", "day_offset")),
        "revenue_daily": table(cursor, schema, "revenue_daily", ("day", "currency")),
        "economy_daily": table(cursor, schema, "economy_daily", ("day", "currency_name", "reason")),
        "progression": table(cursor, schema, "progression", ("level",)),
    }


def assert_matches_truth(got: dict[str, dict], world: World) -> None:
    sessions = truth.sessions(world)
    assert set(got["sessions"]) == set(sessions)
    for key, want in sessions.items():
        row = got["sessions"][key]
        for instant in ("started_at", "ended_at"):
            assert abs(row[instant] - want[instant]) < LATENCY, (key, instant, row, want)
        assert (row["duration_s"], row["events"], row["platform"]) == (
            want["duration_s"],
            want["events"],
            want["platform"],
        ), key
    daily = truth.player_daily(world, sessions)
    assert got["player_daily"] == daily
    kpis = truth.kpi_daily(daily)
    assert set(got["kpi_daily"]) == set(kpis)
    for day, want in kpis.items():
        row = got["kpi_daily"][day]
        assert {k: v for k, v in row.items() if k != "avg_session_s"} == {
            k: v for k, v in want.items() if k != "avg_session_s"
        }, day
        assert row["avg_session_s"] == pytest.approx(want["avg_session_s"], rel=1e-12), day
    retention = truth.retention(daily)
    assert set(got["retention"]) == set(retention)
    for key, want in retention.items():
        assert got["retention"][key] == pytest.approx(want, rel=1e-12), key
    revenue = truth.revenue_daily(world, kpis)
    assert set(got["revenue_daily"]) == set(revenue)
    for key, want in revenue.items():
        assert got["revenue_daily"][key] == pytest.approx(want, rel=1e-12), key
    assert got["economy_daily"] == truth.economy_daily(world)
    assert got["progression"] == truth.progression(world)


def changed(before: dict, after: dict) -> set:
    return {k for k in set(before) | set(after) if before.get(k) != after.get(k)}


def test_marts_equal_the_ground_truth_and_a_late_event_updates_only_its_day(trino_cursor, unique):
    prefix, schema = f"g{unique}-", f"marts_t{unique}"
    today = datetime.now(UTC).date()
    world = play(prefix, players=40, days=DAYS, start=today - timedelta(days=DAYS + 2))
    assert truth.balances_add_up(world)
    assert any(not p.sends_ids for p in world.players) and any(abs(p.skew) > timedelta(hours=2) for p in world.players)
    assert len({e.body["currency"] for s in world.sessions for e in s.events if "currency" in e.body}) >= 2
    expected = len(truth.landed(world))
    try:
        deliver(world, world.deliveries)
        landed = f"SELECT count(*) FROM lake.game.all_events WHERE user_id LIKE '{prefix}%'"
        assert wait_for(lambda: query(trino_cursor, landed)[0][0], expected, timeout_s=300) == expected

        models(schema, prefix)
        first = marts(trino_cursor, schema)
        assert_matches_truth(first, world)
        assert first["retention"] and first["revenue_daily"] and first["economy_daily"]

        models(schema, prefix)
        assert marts(trino_cursor, schema) == first, "a second run changed the marts"

        # A late purchase of a player on an old day they were active on, sent now.
        player = next(p for p in world.players if p.sends_ids and p.first_day < DAYS - 4)
        first_day = world.start + timedelta(days=player.first_day)
        active = sorted(day for day, user in first["player_daily"] if user == player.user_id and day > first_day)
        day: date = active[0] if active else first_day
        at = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=12, minutes=17)
        late = Played(
            {
                "event_id": "0e0e0e0e-0000-4000-8000-" + unique.ljust(12, "0")[:12],
                "event_type": "iap_purchase",
                "user_id": player.user_id,
                "event_ts": format_ts(at + player.skew),
                "session_id": f"{player.user_id}-late",
                "platform": player.platform,
                "product_id": "starter_pack",
                "price_cents": 999,
                "currency": "EUR",
                "transaction_id": f"tx-late-{unique}",
            },
            at,
        )
        world.sessions.append(Session(player, late.body["session_id"], at, [late]))
        world.deliveries.append(Delivery(player, [late]))
        deliver(world, [world.deliveries[-1]])
        assert wait_for(lambda: query(trino_cursor, landed)[0][0], expected + 1, timeout_s=300) == expected + 1

        models(schema, prefix)
        after = marts(trino_cursor, schema)
        assert_matches_truth(after, world)
        assert changed(first["kpi_daily"], after["kpi_daily"]) == {day}
        assert {k[0] for k in changed(first["revenue_daily"], after["revenue_daily"])} == {day}
        assert changed(first["player_daily"], after["player_daily"]) == {(day, player.user_id)}
        assert changed(first["sessions"], after["sessions"]) == {(player.user_id, f"{player.user_id}-late")}
        assert after["economy_daily"] == first["economy_daily"] and after["progression"] == first["progression"]
    finally:
        drop_schema(trino_cursor, schema)


def test_a_device_clock_3_hours_behind_lands_on_the_right_day(trino_cursor, unique):
    user = f"skew{unique}"
    # True time 01:30 UTC yesterday; the device's clock is 3 h behind, so its event_ts says 22:30 the day
    # before. Sent now, with sent_at on the same slow clock.
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    true_at = datetime.combine(yesterday, datetime.min.time(), UTC) + timedelta(hours=1, minutes=30)
    behind = timedelta(hours=3)
    event = {
        "event_type": "session_start",
        "user_id": user,
        "session_id": f"{user}-1",
        "event_ts": format_ts(true_at - behind),
        "sent_at": format_ts(datetime.now(UTC) - behind),
    }
    response = requests.post(f"{API}/v1/events", json=event, headers=HEADERS, timeout=30)
    assert response.status_code == 202, response.text
    sql = f"SELECT event_ts, derived_ts FROM lake.game.session_start WHERE user_id = '{user}'"
    assert wait_for(lambda: len(query(trino_cursor, sql)), 1, timeout_s=120) == 1
    ((event_ts, derived),) = query(trino_cursor, sql)
    assert derived.date() == yesterday and event_ts.date() == yesterday - timedelta(days=1)
    assert abs(derived - true_at) < LATENCY


def drop_schema(cursor, schema: str) -> None:
    """Drop the test's marts schema with every table and view dbt made in it."""
    relations = query(
        cursor,
        f"SELECT table_name, table_type FROM lake.information_schema.tables WHERE table_schema = '{schema}'",
    )
    for name, kind in relations:
        query(cursor, f"DROP {'VIEW' if kind == 'VIEW' else 'TABLE'} lake.{schema}.{name}")
    if query(cursor, f"SHOW SCHEMAS FROM lake LIKE '{schema}'"):
        query(cursor, f"DROP SCHEMA lake.{schema}")
