"""The Segment-spec endpoints and gzip bodies, with an in-memory producer (the same paths run with the
real SDKs against the real stack in tests/integration/test_segment_sdks.py)."""

from __future__ import annotations

import base64
import gzip
import json
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from questlog_api import segment
from questlog_api.app import create_app
from questlog_api.settings import Settings
from questlog_core.paths import repo_root
from questlog_core.registry import default_registry

from tests.unit.fakes import FakeProducer

NOW = datetime.now(UTC).replace(microsecond=0)


def iso(when: datetime) -> str:
    return when.isoformat()


def track(event: str = "purchase_weapon", **extra) -> dict:
    message = {
        "type": "track",
        "event": event,
        "userId": "player-1",
        "messageId": str(uuid.uuid4()),
        "timestamp": iso(NOW - timedelta(minutes=5)),
        "properties": {"weapon_type": "sword", "gold_cost": 10} if event == "purchase_weapon" else {},
    }
    return message | extra


@pytest.fixture
def producer() -> FakeProducer:
    return FakeProducer()


@pytest.fixture
def client(producer: FakeProducer):
    return create_app(Settings(max_events=5, max_body_bytes=4096, access_log=False), producer).test_client()


def test_track_messages_map_onto_events(client, producer):
    sent_at = iso(NOW - timedelta(seconds=2))
    message = track(
        context={"os": {"name": "iPadOS"}, "app": {"version": "2.4.1"}, "userAgent": "Game/2.4.1 (iPad)"},
        messageId="node-next-1700000000000-abc",
    )
    response = client.post(
        "/v1/batch", json={"batch": [message], "sentAt": sent_at}, headers={"User-Agent": "analytics-node/3"}
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["success"] is True and body["accepted_count"] == 1 and body["rejected"] == body["skipped"] == []
    (stored,) = producer.values("events")
    assert stored["event_type"] == "purchase_weapon" and stored["user_id"] == "player-1"
    assert (stored["weapon_type"], stored["gold_cost"]) == ("sword", 10)
    # A messageId that is not a UUID maps to the same UUID every time: an SDK's retry is deduplicated.
    assert stored["event_id"] == str(uuid.uuid5(segment._MESSAGE_ID_NAMESPACE, message["messageId"]))
    assert stored["event_ts"] == (NOW - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    assert stored["sent_at"] == (NOW - timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    assert (stored["platform"], stored["app_version"]) == ("ios", "2.4.1")
    assert stored["user_agent"] == "Game/2.4.1 (iPad)"
    client.post("/v1/batch", json={"batch": [message], "sentAt": sent_at})
    assert producer.values("events")[1]["event_id"] == stored["event_id"]


@pytest.mark.parametrize(
    ("context", "platform"),
    [
        ({"os": {"name": "Android"}}, "android"),
        ({"device": {"type": "ios"}}, "ios"),
        ({"device": {"type": "browser"}}, "web"),
        ({"os": {"name": "Windows"}}, "other"),
        ({}, None),
    ],
)
def test_platform_comes_from_os_then_device(client, producer, context, platform):
    assert client.post("/v1/track", json=track(context=context)).status_code == 200
    assert producer.values("events")[0].get("platform") == platform


def test_anonymous_id_stands_in_for_user_id_and_uuid_message_ids_are_kept(client, producer):
    message_id = str(uuid.uuid4()).upper()
    message = track(messageId=message_id, anonymousId="anon-7") | {"userId": None}
    assert client.post("/v1/track", json={k: v for k, v in message.items() if k != "type"}).status_code == 200
    (stored,) = producer.values("events")
    assert stored["user_id"] == "anon-7" and stored["event_id"] == message_id.lower()


def test_other_message_types_are_dead_lettered_and_answered_200(client, producer):
    batch = [
        {"type": "identify", "userId": "player-1", "traits": {"email": "x@example.com"}},
        {"type": "screen", "userId": "player-1", "name": "shop"},
    ]
    response = client.post("/v1/batch", json={"batch": batch})
    assert response.status_code == 200
    body = response.get_json()
    assert body["skipped_count"] == 2 and body["accepted"] == body["rejected"] == []
    reasons = [d["reason"] for d in producer.values("events.dlq")]
    assert reasons[0].startswith("Segment identify messages are not stored")
    assert {d["user_id"] for d in producer.values("events.dlq")} == {"player-1"}
    assert producer.values("events") == []


def test_a_partly_invalid_batch_is_200_and_names_what_is_wrong(client, producer):
    bad = track(properties={"weapon_type": "sword"})  # gold_cost missing
    response = client.post("/v1/batch", json={"batch": [track(), bad]})
    assert response.status_code == 200
    body = response.get_json()
    assert [a["index"] for a in body["accepted"]] == [0]
    assert body["rejected"] == [{"index": 1, "field": "gold_cost", "reason": "missing required field(s): gold_cost"}]
    (dead,) = producer.values("events.dlq")
    assert dead["event_id"] == bad["messageId"] and dead["endpoint"] == "/v1/batch"


def test_a_batch_with_no_usable_track_message_is_400_with_code_and_message(client, producer):
    batch = [track("no_such_event"), track(properties={"user_id": "someone-else"}), {"type": "track", "event": "x"}]
    response = client.post("/v1/batch", json={"batch": batch})
    assert response.status_code == 400
    body = response.get_json()
    # RudderStack's SDK retries a 4xx forever unless the body has both `code` and `message`.
    assert body["code"] == "invalid_messages" and body["message"].startswith("unknown event_type 'no_such_event'")
    assert [r["field"] for r in body["rejected"]] == ["event_type", "properties.user_id", "userId"]
    assert len(producer.values("events.dlq")) == 3


def test_user_agent_header_is_used_when_the_message_has_none(client, producer):
    client.post("/v1/track", json=track(), headers={"User-Agent": "analytics-python/2.4.0"})
    assert producer.values("events")[0]["user_agent"] == "analytics-python/2.4.0"


def test_not_a_batch_is_400_and_the_write_key_is_not_recorded(client, producer):
    response = client.post("/v1/batch", json={"messages": [], "writeKey": "secret-key"})
    assert response.status_code == 400
    assert response.get_json()["code"] == "bad_request"
    (dead,) = producer.values("events.dlq")
    assert "secret-key" not in dead["raw"] and '"writeKey": "[redacted]"' in dead["raw"]


def test_too_many_messages_is_413(client):
    response = client.post("/v1/batch", json={"batch": [track() for _ in range(6)]})
    assert response.status_code == 413


def test_write_key_as_basic_auth_user_is_an_api_key(producer):
    app = create_app(Settings(auth_enabled=True, api_keys=("k1",), access_log=False), producer)
    client = app.test_client()

    def basic(user: str) -> dict:
        return {"Authorization": "Basic " + base64.b64encode(f"{user}:".encode()).decode()}

    assert client.post("/v1/batch", json={"batch": [track()]}, headers=basic("k1")).status_code == 200
    refused = client.post("/v1/batch", json={"batch": [track()]}, headers=basic("k2"))
    assert refused.status_code == 401 and refused.get_json()["code"] == "unauthorized"
    assert (
        client.post("/v1/events", json={"event_type": "default", "user_id": "u"}, headers=basic("k1")).status_code
        == 202
    )


@pytest.mark.parametrize("path", ["/v1/batch", "/v1/events"])
def test_gzip_bodies_are_inflated(client, producer, path):
    doc = json.dumps({"batch": [track()]} if path == "/v1/batch" else {"event_type": "default", "user_id": "u"})
    response = client.post(
        path, data=gzip.compress(doc.encode()), headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}
    )
    assert response.status_code in (200, 202), response.get_json()
    assert len(producer.values("events")) == 1


def test_gzip_bomb_is_413_on_the_inflated_size(client, producer):
    bomb = gzip.compress(b'{"event_type": "default", "user_id": "' + b"u" * 3_000_000 + b'"}')
    assert len(bomb) < 4096  # under the body limit as sent
    response = client.post("/v1/events", data=bomb, headers={"Content-Encoding": "gzip"})
    assert response.status_code == 413
    assert response.get_json()["message"] == "gzip body inflates to more than the limit of 4096 bytes"
    assert producer.values("events.dlq")[0]["reason"] == response.get_json()["message"]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"not gzip at all", "body is not valid gzip: "),
        (gzip.compress(b'{"event_type": "default"}')[:-6], "body is not valid gzip: truncated stream"),
        (gzip.compress(b"{}") + b"trailing", "body is not valid gzip: data after its gzip stream"),
    ],
)
def test_broken_gzip_is_400_and_recorded(client, producer, data, reason):
    response = client.post("/v1/events", data=data, headers={"Content-Encoding": "gzip"})
    assert response.status_code == 400
    assert response.get_json()["message"].startswith(reason)
    assert producer.values("events.dlq")[0]["reason"].startswith(reason)


def test_other_content_encodings_are_415(client, producer):
    response = client.post("/v1/events", data=b"{}", headers={"Content-Encoding": "br"})
    assert response.status_code == 415 and "'br' is not supported" in response.get_json()["message"]
    assert len(producer.values("events.dlq")) == 1


def test_mapping_is_checked_against_the_envelope_schema():
    registry = default_registry()
    assert segment.check_contract(registry) == tuple(registry.envelope.properties["platform"]["enum"])
    envelope = dict(registry.envelope.properties)
    del envelope["app_version"]
    shrunk = SimpleNamespace(envelope=SimpleNamespace(properties=envelope))
    with pytest.raises(segment.ContractError, match="app_version"):
        segment.check_contract(shrunk)  # type: ignore[arg-type]


def test_docs_mapping_table_is_the_code():
    doc = (repo_root() / "docs" / "sending-events.md").read_text()
    for field, source in segment.FIELD_SOURCES.items():
        assert f"| `{field}` | {source} |" in doc, field


def test_loadgen_sdk_messages_map_back_onto_the_played_events():
    from questlog_loadgen import game, sdk

    world = game.play("rt-", players=6, days=2, start=NOW.date() - timedelta(days=2))
    platforms = segment.check_contract(default_registry())
    checked = 0
    for delivery in world.deliveries:
        for played in delivery.events:
            kw = sdk.message(played)
            message = {
                "type": "track",
                "userId": kw["user_id"],
                "event": kw["event"],
                "properties": kw["properties"],
                "context": kw["context"],
                "timestamp": kw["timestamp"].isoformat(),
                "messageId": kw["message_id"],
            }
            # Through the SDK a device keeps true time: event_ts is when it was played.
            assert segment.to_event(message, platforms, 512).event == played.body | {"event_ts": message["timestamp"]}
            checked += 1
    assert checked > 100
