"""The API against the real broker: what it acknowledges is exactly what `events` holds."""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Iterator

import orjson
import pytest
from confluent_kafka.admin import NewTopic
from questlog_api.app import create_app
from questlog_api.settings import Settings
from questlog_stack import supervisor
from questlog_stack.paths import Paths
from questlog_stack.services import by_name

from tests.integration.conftest import BOOTSTRAP, consume_all


@pytest.fixture
def topics(admin) -> Iterator[tuple[str, str]]:
    name = f"test-events-{uuid.uuid4().hex[:10]}"
    names = (name, f"{name}.dlq")
    for future in admin.create_topics([NewTopic(t, 3, 1) for t in names]).values():
        future.result(30)
    yield names
    for future in admin.delete_topics(list(names)).values():
        future.result(30)


def make_client(topics: tuple[str, str], **overrides):
    settings = Settings(
        bootstrap_servers=BOOTSTRAP, topic=topics[0], dlq_topic=topics[1], access_log=False, **overrides
    )
    app = create_app(settings)
    return app, app.test_client()


def events(n: int, user: str = "u") -> list[dict]:
    return [
        {"event_type": "purchase_weapon", "user_id": f"{user}{i % 3}", "weapon_type": "axe", "gold_cost": i}
        for i in range(n)
    ]


def test_acknowledged_events_are_exactly_what_kafka_holds(topics):
    app, client = make_client(topics)
    batch = events(50)
    batch[7]["gold_cost"] = "free"
    batch[9] = {"event_type": "join_guild"}
    response = client.post("/v1/events", json=batch)
    assert response.status_code == 202
    body = response.get_json()
    assert body["accepted_count"] == 48 and body["rejected_count"] == 2
    stored = consume_all(topics[0], 48)
    assert sorted(orjson.loads(m.value())["event_id"] for m in stored) == sorted(
        a["event_id"] for a in body["accepted"]
    )
    # key = user_id: one player's events share a partition, in order.
    by_user: dict[bytes, set[int]] = {}
    for m in stored:
        assert orjson.loads(m.value())["user_id"].encode() == m.key()
        by_user.setdefault(m.key(), set()).add(m.partition())
    assert all(len(parts) == 1 for parts in by_user.values())
    dead = [orjson.loads(m.value()) for m in consume_all(topics[1], 2)]
    assert sorted((d["field"], d["reason"]) for d in dead) == [
        ("gold_cost", "gold_cost must be integer"),
        ("user_id", "missing required field(s): user_id, guild_name"),
    ]
    app.extensions["questlog.producer"].close()


def test_non_json_body_lands_in_dlq_with_raw_bytes(topics):
    app, client = make_client(topics)
    response = client.post("/purchase_a_weapon", data=b"\xff\xfe not json", content_type="application/json")
    assert response.status_code == 400
    (dead,) = [orjson.loads(m.value()) for m in consume_all(topics[1], 1)]
    assert "not valid JSON" in dead["reason"] and dead["endpoint"] == "/purchase_a_weapon"
    assert dead["raw"].endswith(" not json")
    assert consume_all(topics[0], 0, timeout_s=10) == []
    app.extensions["questlog.producer"].close()


def partition_of(key: str, partitions: int = 3) -> int:
    """Return the partition librdkafka's default partitioner (consistent_random: CRC-32) picks."""
    return zlib.crc32(key.encode()) % partitions


def test_one_record_too_large_for_the_broker_is_503_for_the_batch_and_the_rest_is_stored(admin):
    # The topic's max.message.bytes is the broker's limit for one record batch: the small events
    # fit, the big one does not. Each goes to a partition of its own (keys picked by the partitioner)
    # so the broker refuses only the big one's batch.
    name = f"test-events-{uuid.uuid4().hex[:10]}"
    names = (name, f"{name}.dlq")
    created = admin.create_topics([NewTopic(name, 3, 1, config={"max.message.bytes": "900"}), NewTopic(names[1], 3, 1)])
    for future in created.values():
        future.result(30)
    try:
        big = "big-" + "b" * 200
        small = [u for u in (f"small-{i}" for i in range(100)) if partition_of(u) != partition_of(big)]
        users = [small[0], big, next(u for u in small if partition_of(u) != partition_of(small[0]))]
        batch = [{"event_type": "purchase_weapon", "user_id": u, "weapon_type": "axe", "gold_cost": 1} for u in users]
        batch[1]["weapon_type"] = "w" * 256
        batch.append({"event_type": "purchase_weapon", "user_id": "bad", "weapon_type": "axe", "gold_cost": "x"})
        app, client = make_client(names)
        response = client.post("/v1/events", json=batch)
        app.extensions["questlog.producer"].close()
        assert response.status_code == 503, response.get_json()
        body = response.get_json()
        assert "MSG_SIZE_TOO_LARGE" in body["message"]
        assert [a["index"] for a in body["accepted"]] == [0, 2]
        assert [f["index"] for f in body["failed"]] == [1]
        assert [(r["index"], r["field"]) for r in body["rejected"]] == [(3, "gold_cost")]
        # What the API promises: everything under `accepted` is stored, nothing under `failed` is.
        stored = consume_all(name, 2)
        assert sorted(orjson.loads(m.value())["event_id"] for m in stored) == sorted(
            a["event_id"] for a in body["accepted"]
        )
        assert {m.key().decode(): m.partition() for m in stored} == {u: partition_of(u) for u in (users[0], users[2])}
        (dead,) = [orjson.loads(m.value()) for m in consume_all(names[1], 1)]
        assert dead["reason"] == "gold_cost must be integer"
    finally:
        for future in admin.delete_topics(list(names)).values():
            future.result(30)


@pytest.mark.disruptive
def test_stopped_broker_gives_503_then_recovers(topics):
    app, client = make_client(topics, delivery_timeout_ms=3000, retry_after_s=7)
    assert client.post("/v1/events", json=events(1)).status_code == 202
    paths = Paths.from_env()
    kafka = by_name(paths)["kafka"]
    supervisor.stop(paths, kafka)
    try:
        response = client.post("/v1/events", json=events(3, "down"))
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "7"
        assert response.get_json()["accepted"] == []
        assert client.get("/readyz").status_code == 503
    finally:
        supervisor.start(paths, kafka)
    recovered = client.post("/v1/events", json=events(2, "back"))
    assert recovered.status_code == 202, recovered.get_json()
    stored = [orjson.loads(m.value()) for m in consume_all(topics[0], 3)]
    acknowledged = {e["user_id"] for e in stored}
    # The refused events may or may not have been written before the timeout; none was acknowledged,
    # and every acknowledged one is present.
    assert {"u0", "back0", "back1"} <= acknowledged
    app.extensions["questlog.producer"].close()
