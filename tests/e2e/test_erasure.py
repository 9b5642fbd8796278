"""Player erasure on the real stack: the player is gone from every table and every file of the lake,
other players are untouched, a replay of the player's records does not bring them back, and their new
events are refused (and not dead-lettered)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import orjson
import pytest
import requests
from confluent_kafka import Consumer, Producer, TopicPartition
from questlog_stack.paths import Paths

from tests.e2e.conftest import API, EXTERNAL, HEADERS, wait_for
from tests.e2e.test_game_models import drop_schema, models
from tests.integration.conftest import BOOTSTRAP, query
from tests.integration.warehouse import scan

pytestmark = pytest.mark.skipif(EXTERNAL, reason="uses the local stack's admin key and warehouse")

TABLES = ("purchase_weapon", "enter_battle", "join_guild")


def admin_headers() -> dict[str, str]:
    return {"X-Admin-Key": (Paths.from_env().var / "secrets" / "admin-key").read_text().strip()}


def events_of(user: str, n: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i in range(n):
        out.append({"event_type": "purchase_weapon", "user_id": user, "weapon_type": "bow", "gold_cost": 10 + i})
        out.append({"event_type": "enter_battle", "user_id": user, "enemy": "orc", "outcome": "won"})
    out.append({"event_type": "join_guild", "user_id": user, "guild_name": "erasers"})
    return out


def high_watermarks(topic: str) -> dict[int, int]:
    consumer = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": f"t-{uuid.uuid4().hex}"})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        return {
            p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10, cached=False)[1] for p in partitions
        }
    finally:
        consumer.close()


def records_since(topic: str, start: dict[int, int]) -> list[tuple[int, bytes]]:
    """Every record of `topic` from the given offsets to the end now: (partition, value)."""
    end = high_watermarks(topic)
    consumer = Consumer(
        {"bootstrap.servers": BOOTSTRAP, "group.id": f"t-{uuid.uuid4().hex}", "enable.auto.commit": False}
    )
    consumer.assign([TopicPartition(topic, p, o) for p, o in start.items()])
    out: list[tuple[int, bytes]] = []
    seen = dict(start)
    deadline = time.monotonic() + 30
    while any(seen[p] < end[p] for p in end) and time.monotonic() < deadline:
        message = consumer.poll(0.5)
        if message is None or message.error():
            continue
        out.append((message.partition(), message.value()))
        seen[message.partition()] = message.offset() + 1
    consumer.close()
    assert all(seen[p] >= end[p] for p in end), f"{topic}: read {seen} of {end} in time"
    return out


def per_table(cursor, where: str) -> dict[str, list[Any]]:
    return {
        t: query(cursor, f"SELECT count(*), count(DISTINCT event_id), sum(length(user_id)) FROM {t} WHERE {where}")[0]
        for t in TABLES
    }


def test_erasure_removes_a_player_from_the_whole_lake(trino_cursor, unique):
    run = f"erase-{unique}"
    victim = f"{run}-victim-{uuid.uuid4().hex}"
    others = [f"{run}-other{i}-{uuid.uuid4().hex[:8]}" for i in range(3)]
    events_start = high_watermarks("events")
    body = [e for user in [victim, *others] for e in events_of(user, 4)]
    answer = requests.post(f"{API}/v1/events", json=body, headers=HEADERS, timeout=30)
    assert answer.status_code == 202, answer.text
    # A rejected body that holds the victim's id, and one of another player.
    for user in (victim, others[0]):
        bad = {"event_type": "enter_battle", "user_id": user, "enemy": "orc", "outcome": "draw"}
        assert requests.post(f"{API}/v1/events", json=bad, headers=HEADERS, timeout=30).status_code == 400
    victim_records = [v for _, v in records_since("events", events_start) if orjson.loads(v)["user_id"] == victim]
    assert len(victim_records) == 9

    everyone = f"user_id LIKE '{run}-%'"
    expected = {"purchase_weapon": 16, "enter_battle": 16, "join_guild": 4}
    landed = lambda: {t: query(trino_cursor, f"SELECT count(*) FROM {t} WHERE {everyone}")[0][0] for t in TABLES}  # noqa: E731
    assert wait_for(landed, expected) == expected
    bad_sql = f"SELECT count(*) FROM bad_events WHERE {everyone}"
    assert wait_for(lambda: query(trino_cursor, bad_sql)[0][0], 2) == 2
    # The game models over this run's players, in a schema of the test's own: the processor erases
    # from every table of the catalog with a user_id column, not only lake.marts.
    marts = f"marts_erase_{unique}"
    models(marts, run)
    mart_tables = [
        t
        for (t,) in query(
            trino_cursor,
            f"SELECT c.table_name FROM lake.information_schema.columns c "
            f"JOIN lake.information_schema.tables t ON t.table_schema = c.table_schema "
            f"AND t.table_name = c.table_name "
            f"WHERE c.table_schema = '{marts}' AND c.column_name = 'user_id' AND t.table_type = 'BASE TABLE'",
        )
    ]
    in_marts = {
        f"{marts}.{t}": query(trino_cursor, f"SELECT count(*) FROM lake.{marts}.{t} WHERE user_id = '{victim}'")[0][0]
        for t in mart_tables
    }
    assert in_marts.get(f"{marts}.player_daily") == 1, in_marts
    others_where = " OR ".join(f"user_id = '{u}'" for u in others)
    before = per_table(trino_cursor, others_where)
    marts_before = {
        t: query(trino_cursor, f"SELECT count(*) FROM lake.{marts}.{t} WHERE {others_where}") for t in mart_tables
    }
    old_snapshot = query(trino_cursor, 'SELECT max(snapshot_id) FROM "purchase_weapon$snapshots"')[0][0]
    # The scan sees the victim before the erasure: it would see a copy left after it.
    found, kinds = scan(victim)
    assert found and kinds["parquet"] > 0 and kinds["avro"] > 0, (found, kinds)

    # Admin auth: no key, a wrong key, an ingest key: 401, nothing recorded.
    for headers in ({}, {"X-Admin-Key": "wrong"}, HEADERS):
        refused = requests.post(f"{API}/v1/admin/erasures", json={"user_id": victim}, headers=headers, timeout=30)
        assert refused.status_code == 401, refused.text
    first = requests.post(f"{API}/v1/admin/erasures", json={"user_id": victim}, headers=admin_headers(), timeout=30)
    assert first.status_code == 202, first.text
    assert first.json()["status"] in ("accepted", "running", "done")
    again = requests.post(f"{API}/v1/admin/erasures", json={"user_id": victim}, headers=admin_headers(), timeout=30)
    assert again.status_code == 202 and again.json()["erasure_id"] == first.json()["erasure_id"]
    erasure = first.json()["erasure_id"]
    unknown = requests.get(f"{API}/v1/admin/erasures/{uuid.uuid4()}", headers=admin_headers(), timeout=30)
    assert unknown.status_code == 404

    # New events of the victim are refused, and their bodies are not dead-lettered.
    dlq_start = high_watermarks("events.dlq")
    deadline = time.monotonic() + 10
    while True:  # each API worker follows the erasure log within a second
        new = requests.post(f"{API}/v1/events", json=events_of(victim, 1), headers=HEADERS, timeout=30)
        if new.status_code == 403 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert new.status_code == 403, new.text
    assert new.json()["error"] == "forbidden" and "erased" in new.json()["message"]
    assert not [v for _, v in records_since("events.dlq", dlq_start) if victim.encode() in v]

    def status() -> dict[str, Any]:
        return requests.get(f"{API}/v1/admin/erasures/{erasure}", headers=admin_headers(), timeout=30).json()

    deadline = time.monotonic() + 300
    while status()["status"] != "done" and time.monotonic() < deadline:
        time.sleep(2)
    done = status()
    assert done["status"] == "done", done
    assert done["completed_at"] and done["requested_at"]
    game = {"game.purchase_weapon": 4, "game.enter_battle": 4, "game.join_guild": 1, "game.bad_events": 1}
    assert done["rows_deleted"] == game | {t: n for t, n in in_marts.items() if n}

    # Trino: nothing of the victim in any table; the other players exactly as before.
    for table in (*TABLES, "bad_events"):
        assert query(trino_cursor, f"SELECT count(*) FROM {table} WHERE user_id = '{victim}'") == [[0]]
    assert query(trino_cursor, f"SELECT count(*) FROM bad_events WHERE strpos(raw, '{victim}') > 0") == [[0]]
    assert query(trino_cursor, f"SELECT count(*) FROM bad_events WHERE user_id = '{others[0]}'") == [[1]]
    assert per_table(trino_cursor, others_where) == before
    for t in mart_tables:
        assert query(trino_cursor, f"SELECT count(*) FROM lake.{marts}.{t} WHERE user_id = '{victim}'") == [[0]], t
        assert query(trino_cursor, f"SELECT count(*) FROM lake.{marts}.{t} WHERE {others_where}") == marts_before[t]
    with pytest.raises(Exception, match=r"(?i)snapshot"):
        query(trino_cursor, f"SELECT count(*) FROM purchase_weapon FOR VERSION AS OF {old_snapshot}")
    # No file of the warehouse holds the id: data, delete files, manifests, snapshots.
    found, kinds = scan(victim)
    assert found == [], found

    # The victim's records still in Kafka, sent again with new ids (as a replay would), never land:
    # a record of another player behind them on the same partition shows the stream read past them.
    producer = Producer({"bootstrap.servers": BOOTSTRAP, "acks": "all"})
    canary = f"{run}-canary"
    for value in victim_records:
        record = orjson.loads(value) | {"event_id": str(uuid.uuid4())}
        producer.produce("events", orjson.dumps(record), victim.encode(), partition=0)
    template = orjson.loads(victim_records[0])
    producer.produce("events", orjson.dumps(template | {"event_id": str(uuid.uuid4()), "user_id": canary}), partition=0)
    assert producer.flush(30) == 0
    canary_sql = f"SELECT count(*) FROM {template['event_type']} WHERE user_id = '{canary}'"
    assert wait_for(lambda: query(trino_cursor, canary_sql)[0][0], 1) == 1
    for table in (*TABLES, "bad_events"):
        assert query(trino_cursor, f"SELECT count(*) FROM {table} WHERE user_id = '{victim}'") == [[0]]
    drop_schema(trino_cursor, marts)
