"""API -> Kafka -> Spark -> Iceberg on HDFS -> metastore -> Trino: exact counts and sums per table."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import requests

from tests.e2e.conftest import API, HEADERS, wait_for
from tests.integration.conftest import query


def test_known_events_land_exactly_once_with_types_and_values(trino_cursor, unique):
    rng = random.Random(7)
    run = f"e2e-{unique}"
    now = datetime.now(UTC)
    weapons = [
        {
            "event_type": "purchase_weapon",
            "user_id": f"{run}-u{i % 7}",
            "weapon_type": rng.choice(["sword", "axe", "bow"]),
            "gold_cost": rng.randint(0, 500),
            "event_id": str(uuid.uuid4()),
        }
        for i in range(120)
    ]
    weapons[0]["damage"] = 77
    # A late event (two days old) lands in its own day's partition.
    weapons[1]["event_ts"] = (now - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    guilds = [{"event_type": "join_guild", "user_id": f"{run}-u{i}", "guild_name": f"g{i % 3}"} for i in range(30)]
    battles = [
        {
            "event_type": "enter_battle",
            "user_id": f"{run}-u{i % 5}",
            "enemy": "dragon",
            "outcome": "won" if i % 4 else "lost",
        }
        for i in range(80)
    ]
    invalid = [{"event_type": "enter_battle", "user_id": f"{run}-bad", "enemy": "orc", "outcome": "draw"}]
    defaults = [{"event_type": "default", "user_id": f"{run}-u0"}]
    everything = weapons + guilds + battles + invalid + defaults
    rng.shuffle(everything)
    for start in range(0, len(everything), 50):
        response = requests.post(f"{API}/v1/events", json=everything[start : start + 50], headers=HEADERS, timeout=30)
        assert response.status_code == 202, response.text
    # Re-sent events (a client retry) must be stored once.
    assert requests.post(f"{API}/v1/events", json=weapons[:10], headers=HEADERS, timeout=30).status_code == 202
    # Seed-style endpoints, user told apart by the Host header as the original tests did.
    for i in range(5):
        response = requests.post(
            f"{API}/enter_a_battle",
            json={"enemy": "troll", "outcome": "won"},
            headers={**HEADERS, "Host": f"{run}-host{i}.example.net"},
            timeout=30,
        )
        assert response.status_code == 202, response.text

    def weapons_now():
        return query(
            trino_cursor,
            f"SELECT count(*), count(DISTINCT event_id), sum(gold_cost) "
            f"FROM purchase_weapon WHERE user_id LIKE '{run}-%'",
        )

    expected = [[120, 120, sum(w["gold_cost"] for w in weapons)]]
    assert wait_for(weapons_now, expected) == expected
    battles_sql = f"SELECT count(*), count_if(outcome = 'won') FROM enter_battle WHERE user_id LIKE '{run}-%'"
    assert wait_for(lambda: query(trino_cursor, battles_sql), [[85, 65]]) == [[85, 65]]
    guild_sql = f"SELECT guild_name, count(*) FROM join_guild WHERE user_id LIKE '{run}-%' GROUP BY 1 ORDER BY 1"
    assert wait_for(lambda: query(trino_cursor, guild_sql), [["g0", 10], ["g1", 10], ["g2", 10]]) == [
        ["g0", 10],
        ["g1", 10],
        ["g2", 10],
    ]
    bad_sql = f"SELECT reason, field FROM bad_events WHERE user_id = '{run}-bad'"
    bad = [["outcome must be one of ['won', 'lost']", "outcome"]]
    assert wait_for(lambda: query(trino_cursor, bad_sql), bad) == bad
    # Types: timestamps are timestamps, the damage attribute kept, the late event in its own day.
    row = query(
        trino_cursor,
        f"SELECT damage, typeof(event_ts), typeof(gold_cost) FROM purchase_weapon "
        f"WHERE event_id = '{weapons[0]['event_id']}'",
    )
    assert row == [[77, "timestamp(6) with time zone", "bigint"]]
    late = query(
        trino_cursor, f"SELECT date(event_ts) FROM purchase_weapon WHERE event_id = '{weapons[1]['event_id']}'"
    )
    assert str(late[0][0]) == (now - timedelta(days=2)).date().isoformat()
    # This run's rows span two days, and each row's data file is in its own day's partition.
    days = query(
        trino_cursor,
        f"SELECT count(DISTINCT date(event_ts)), "
        f"count_if(strpos(\"$path\", '/event_ts_day=' || CAST(date(event_ts) AS varchar) || '/') = 0) "
        f"FROM purchase_weapon WHERE user_id LIKE '{run}-%'",
    )
    assert days == [[2, 0]]
    # `default` is not a selected type: it is nowhere in the lake.
    tables = {r[0] for r in query(trino_cursor, "SHOW TABLES")}
    assert "default" not in tables
