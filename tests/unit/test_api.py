"""The API's request handling, with an in-memory producer (see tests/integration for real Kafka)."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import fastjsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families
from questlog_api.app import create_app
from questlog_api.settings import Settings, SettingsError
from questlog_core.registry import default_registry
from questlog_core.validation import FORMATS

from tests.unit.fakes import FakeProducer

WEAPON = {"event_type": "purchase_weapon", "user_id": "u1", "weapon_type": "sword", "gold_cost": 10}


@pytest.fixture
def producer() -> FakeProducer:
    return FakeProducer()


@pytest.fixture
def client(producer: FakeProducer):
    app = create_app(Settings(max_events=5, max_body_bytes=4096, access_log=False), producer)
    return app.test_client()


def stored_schema(event_type: str) -> dict:
    """Full schema of what lands in Kafka: the whole envelope plus the type's attributes."""
    reg = default_registry()
    return {
        "type": "object",
        "properties": {**reg.envelope.properties, **reg.latest(event_type).properties},
        "required": [*reg.envelope.required, *reg.latest(event_type).required],
        "additionalProperties": False,
    }


def test_single_event_is_enriched_and_keyed_by_user(client, producer):
    response = client.post("/v1/events", json=WEAPON, headers={"User-Agent": "ua/1"})
    assert response.status_code == 202
    body = response.get_json()
    assert body["accepted_count"] == 1 and body["rejected"] == []
    ((topic, key, _value),) = producer.sent
    assert topic == "events" and key == b"u1"
    stored = producer.values("events")[0]
    assert stored["event_id"] == body["accepted"][0]["event_id"]
    assert stored["user_agent"] == "ua/1" and stored["host"] == "localhost"
    assert stored["schema_version"] == "1-0-0"
    assert stored["event_ts"] == stored["received_at"]
    fastjsonschema.validate(stored_schema("purchase_weapon"), stored, formats=FORMATS)


def test_client_event_id_and_time_are_kept_and_normalised(client, producer):
    event_id = str(uuid.uuid4()).upper()
    ts = (datetime.now(UTC) - timedelta(hours=3)).replace(microsecond=0)
    event = {**WEAPON, "event_id": event_id, "event_ts": ts.strftime("%Y-%m-%dT%H:%M:%S+00:00")}
    assert client.post("/v1/events", json=event).status_code == 202
    stored = producer.values("events")[0]
    assert stored["event_id"] == event_id.lower()
    assert stored["event_ts"] == ts.strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def test_game_envelope_fields_are_kept_and_sent_at_normalised(client, producer):
    sent = (datetime.now(UTC) - timedelta(hours=3)).replace(microsecond=0)
    event = {
        **WEAPON,
        "session_id": "s-1",
        "platform": "ios",
        "app_version": "2.4.1",
        "sent_at": sent.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
    }
    assert client.post("/v1/events", json=event).status_code == 202
    stored = producer.values("events")[0]
    assert stored["sent_at"] == sent.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    assert (stored["session_id"], stored["platform"], stored["app_version"]) == ("s-1", "ios", "2.4.1")
    assert "derived_ts" not in stored
    fastjsonschema.validate(stored_schema("purchase_weapon"), stored, formats=FORMATS)


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"derived_ts": "2026-11-20T10:00:00Z"}, "derived_ts"),
        ({"platform": "switch"}, "platform"),
        ({"sent_at": "1999-01-01T00:00:00Z"}, "sent_at"),
        ({"session_id": "x" * 65}, "session_id"),
    ],
)
def test_game_envelope_fields_are_checked(client, producer, extra, field):
    response = client.post("/v1/events", json={**WEAPON, **extra})
    assert response.status_code == 400
    assert response.get_json()["rejected"][0]["field"] == field


def test_game_events_need_their_own_fields(client, producer):
    start = {"event_type": "session_start", "user_id": "u1"}
    assert client.post("/v1/events", json=start).get_json()["rejected"][0]["field"] == "session_id"
    assert client.post("/v1/events", json={**start, "session_id": "s1"}).status_code == 202
    iap = {
        "event_type": "iap_purchase",
        "user_id": "u1",
        "product_id": "gems_100",
        "price_cents": 499,
        "currency": "usd",
        "transaction_id": "t1",
    }
    assert client.post("/v1/events", json=iap).get_json()["rejected"][0]["field"] == "currency"
    assert client.post("/v1/events", json={**iap, "currency": "USD"}).status_code == 202
    change = {"event_type": "currency_change", "user_id": "u1", "currency_name": "gold", "reason": "quest"}
    assert client.post("/v1/events", json={**change, "amount": 0}).get_json()["rejected"][0]["field"] == "amount"
    assert client.post("/v1/events", json={**change, "amount": -3}).status_code == 202


def test_mixed_batch_accepts_valid_and_dead_letters_invalid(client, producer):
    bad = {**WEAPON, "gold_cost": -5}
    response = client.post("/v1/events", json={"events": [WEAPON, bad, WEAPON]})
    assert response.status_code == 202
    body = response.get_json()
    assert [a["index"] for a in body["accepted"]] == [0, 2]
    assert body["rejected"] == [
        {"index": 1, "field": "gold_cost", "reason": "gold_cost must be bigger than or equal to 0"}
    ]
    (dead,) = producer.values("events.dlq")
    assert dead["field"] == "gold_cost" and dead["event_type"] == "purchase_weapon"
    assert json.loads(dead["raw"]) == bad


def test_all_invalid_is_400_and_names_each_field(client, producer):
    response = client.post("/v1/events", json=[{"event_type": "enter_battle", "user_id": "u"}])
    assert response.status_code == 400
    assert response.get_json()["rejected"][0]["field"] == "enemy"
    assert len(producer.values("events.dlq")) == 1 and producer.values("events") == []


def test_not_json_is_400_and_raw_bytes_go_to_dlq(client, producer):
    response = client.post("/v1/events", data=b"{not json", content_type="application/json")
    assert response.status_code == 400
    assert "not valid JSON" in response.get_json()["message"]
    assert producer.values("events.dlq")[0]["raw"] == "{not json"


def test_oversized_body_is_413_and_recorded(client, producer):
    response = client.post("/v1/events", data=b"x" * 5000, content_type="application/json")
    assert response.status_code == 413
    assert "exceeds the limit" in producer.values("events.dlq")[0]["reason"]


def test_too_many_events_is_413(client):
    assert client.post("/v1/events", json=[WEAPON] * 6).status_code == 413


def test_wrong_content_type_is_415(client, producer):
    response = client.post("/v1/events", data=json.dumps(WEAPON), content_type="text/html")
    assert response.status_code == 415
    assert len(producer.values("events.dlq")) == 1


def test_kafka_down_is_503_with_retry_after_and_nothing_accepted():
    app = create_app(Settings(access_log=False), FakeProducer(fail=True))
    response = app.test_client().post("/v1/events", json=WEAPON)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    body = response.get_json()
    assert body["accepted"] == [] and len(body["failed"]) == 1


def test_partial_delivery_is_503_for_the_batch_listing_what_was_stored():
    producer = FakeProducer(fails=lambda record: record[1] == b"lost")
    client = create_app(Settings(access_log=False), producer).test_client()
    batch = [{**WEAPON, "user_id": user} for user in ("kept1", "lost", "kept2")] + [{**WEAPON, "gold_cost": "x"}]
    response = client.post("/v1/events", json=batch)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    body = response.get_json()
    stored = {e["user_id"]: e["event_id"] for e in producer.values("events")}
    assert sorted(stored) == ["kept1", "kept2"]
    # accepted = exactly what is stored; failed = the rest, to be retried with the same event_ids.
    assert body["accepted"] == [
        {"index": 0, "event_id": stored["kept1"]},
        {"index": 2, "event_id": stored["kept2"]},
    ]
    ((failed),) = body["failed"]
    assert failed["index"] == 1 and failed["event_id"] not in stored.values()
    assert [(r["index"], r["field"]) for r in body["rejected"]] == [(3, "gold_cost")]
    assert [d["reason"] for d in producer.values("events.dlq")] == ["gold_cost must be integer"]


def test_the_app_builds_a_durable_producer():
    app = create_app(Settings(access_log=False, producer_config={"compression.type": "lz4"}))
    config = app.extensions["questlog.producer"]._config
    assert config["acks"] == "all"
    assert config["enable.idempotence"] is True
    assert config["compression.type"] == "lz4"


@pytest.mark.parametrize(
    ("variable", "value"),
    [("ACKS", "1"), ("REQUEST_REQUIRED_ACKS", "0"), ("ENABLE_IDEMPOTENCE", "false")],
)
def test_durability_cannot_be_configured_away(variable, value):
    with pytest.raises(SettingsError, match=f"QUESTLOG_API_KAFKA_{variable}"):
        Settings.from_env({f"QUESTLOG_API_KAFKA_{variable}": value})


@pytest.mark.parametrize(
    ("headers", "body", "user"),
    [
        ({"X-User-Id": "hdr"}, {"enemy": "orc", "outcome": "won"}, "hdr"),
        ({"X-User-Id": "hdr"}, {"enemy": "orc", "outcome": "won", "user_id": "body"}, "body"),
        ({"Host": "user1.comcast.com"}, {"enemy": "orc", "outcome": "lost"}, "user1.comcast.com"),
    ],
)
def test_seed_endpoint_user_resolution(client, producer, headers, body, user):
    response = client.post("/enter_a_battle", json=body, headers=headers)
    assert response.status_code == 202
    assert producer.values("events")[0]["user_id"] == user


def test_seed_endpoint_refuses_other_event_type(client):
    body = {"event_type": "join_guild", "guild_name": "x"}
    assert client.post("/join_a_guild", json=body).status_code == 202
    assert client.post("/purchase_a_weapon", json=body).status_code == 400


def test_root_logs_default_event(client, producer):
    assert client.get("/", headers={"X-User-Id": "u9"}).status_code == 202
    assert producer.values("events")[0]["event_type"] == "default"


def test_auth_rejects_without_logging_events(producer):
    app = create_app(Settings(auth_enabled=True, api_keys=("k1", "k2"), access_log=False), producer)
    c = app.test_client()
    assert c.post("/v1/events", json=WEAPON).status_code == 401
    assert c.post("/v1/events", json=WEAPON, headers={"X-Api-Key": "k3"}).status_code == 401
    assert producer.sent == []
    assert c.get("/healthz").status_code == 200
    assert c.post("/v1/events", json=WEAPON, headers={"X-Api-Key": "k2"}).status_code == 202


def sample(client, family: str, **labels: str) -> float:
    """Return one sample's value from the metrics page (0 when the series does not exist yet)."""
    for metric in text_string_to_metric_families(client.get("/metrics").data.decode()):
        if metric.name == family:
            for s in metric.samples:
                if s.name == f"{family}_total" and s.labels == labels:
                    return float(s.value)
    return 0.0


def test_health_ready_metrics(client):
    assert client.get("/healthz").data == b"ok"
    assert client.get("/readyz").get_json()["status"] == "ready"
    # The counters are process-wide (other tests move them too): compare before and after.
    accepted = sample(client, "questlog_api_events_accepted", event_type="purchase_weapon")
    rejected = sample(client, "questlog_api_events_rejected", event_type="purchase_weapon")
    batch = [WEAPON, WEAPON, {**WEAPON, "gold_cost": "free"}]
    assert client.post("/v1/events", json=batch).status_code == 202
    assert sample(client, "questlog_api_events_accepted", event_type="purchase_weapon") == accepted + 2
    assert sample(client, "questlog_api_events_rejected", event_type="purchase_weapon") == rejected + 1


def test_undelivered_events_are_not_counted_as_accepted():
    client = create_app(Settings(access_log=False), FakeProducer(fail=True)).test_client()
    accepted = sample(client, "questlog_api_events_accepted", event_type="purchase_weapon")
    errors = sample(client, "questlog_api_kafka_errors", kind="delivery")
    assert client.post("/v1/events", json=[WEAPON, WEAPON]).status_code == 503
    assert sample(client, "questlog_api_events_accepted", event_type="purchase_weapon") == accepted
    assert sample(client, "questlog_api_kafka_errors", kind="delivery") == errors + 2


def test_openapi_document_matches_routes(client):
    doc = client.get("/openapi.json").get_json()
    app_routes = {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method.lower())
        for rule in client.application.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
        if rule.endpoint != "static"
    }
    doc_routes = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert app_routes == doc_routes


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=20,
)
event_like = st.fixed_dictionaries(
    {"event_type": st.sampled_from(["purchase_weapon", "join_guild", "enter_battle", "default", "x"])},
    optional={
        "user_id": st.text(max_size=300) | st.integers(),
        "weapon_type": st.text(max_size=300),
        "gold_cost": st.integers() | st.text(max_size=3),
        "damage": st.integers(min_value=-5),
        "guild_name": st.text(max_size=5),
        "enemy": st.text(max_size=5),
        "outcome": st.sampled_from(["won", "lost", "draw"]),
        "event_ts": st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()) | st.text(max_size=5),
        "event_id": st.uuids().map(str) | st.text(max_size=5),
        "extra": json_values,
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(json_values, event_like, st.lists(event_like, max_size=7)))
def test_random_bodies_never_5xx_and_accepted_events_conform(body):
    producer = FakeProducer()
    app = create_app(Settings(max_events=5, access_log=False), producer)
    response = app.test_client().post("/v1/events", data=json.dumps(body), content_type="application/json")
    assert response.status_code in (202, 400, 413)
    stored = producer.values("events")
    assert len(stored) == (response.get_json().get("accepted_count") or 0)
    for event in stored:
        fastjsonschema.validate(stored_schema(event["event_type"]), event, formats=FORMATS)
    if response.status_code != 202:
        assert producer.values("events.dlq"), "every refusal is recorded"


def test_retried_rejection_keeps_its_dead_letter_id(client, producer):
    bad = {**WEAPON, "gold_cost": -1}
    client.post("/v1/events", json=bad)
    client.post("/v1/events", json=bad)
    first, second = producer.values("events.dlq")
    assert first["dlq_id"] == second["dlq_id"]


def test_unserialisable_json_values_are_rejected_and_recorded(client, producer):
    response = client.post("/v1/events", data=b"[-9223372036854775809, Infinity, NaN]", content_type="application/json")
    assert response.status_code == 400
    raws = [d["raw"] for d in producer.values("events.dlq")]
    assert raws[0] == "-9223372036854775809" and raws[1] in ("Infinity", "inf")


def test_new_event_id_is_a_random_version_4_uuid():
    from questlog_api.events import new_event_id

    ids = {new_event_id() for _ in range(2000)}
    assert len(ids) == 2000
    for event_id in ids:
        parsed = uuid.UUID(event_id)
        assert (parsed.version, parsed.variant, str(parsed)) == (4, uuid.RFC_4122, event_id)


@pytest.mark.parametrize(
    "event_id",
    [
        "urn:uuid:6f1d8c2e-5b7a-4e0c-9a51-2d3f4b6c7e80",
        "----6f1d8c2e5b7a4e0c9a512d3f4b6c7e80",
        "+f1d8c2e-5b7a-4e0c-9a51-2d3f4b6c7e80",
        "6f1d8c2e_5b7a_4e0c_9a51_2d3f4b6c7e80",
        "\uff16f1d8c2e-5b7a-4e0c-9a51-2d3f4b6c7e80",
        "6f1d8c2e5b7a4e0c9a512d3f4b6c7e80",
        "{6f1d8c2e-5b7a-4e0c-9a51-2d3f4b6c7e8}",
    ],
)
def test_only_canonical_uuids_are_event_ids(client, producer, event_id):
    response = client.post("/v1/events", json={**WEAPON, "event_id": event_id})
    assert response.status_code == 400 and response.get_json()["rejected"][0]["field"] == "event_id"
    assert producer.values("events") == []


@pytest.mark.parametrize("event_ts", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59"])
def test_times_that_overflow_in_utc_are_refused_not_500(client, producer, event_ts):
    response = client.post("/v1/events", json={**WEAPON, "event_ts": event_ts})
    assert response.status_code == 400
    assert response.get_json()["rejected"][0]["reason"] == "event_ts must be date-time"
    assert len(producer.values("events.dlq")) == 1


def test_deeply_nested_event_type_is_refused_not_500(client, producer):
    nested = b"[" * 990 + b"]" * 990
    for path, body in (("/v1/events", b'{"user_id":"u","event_type":%s}'), ("/join_a_guild", b'{"event_type":%s}')):
        response = client.post(path, data=body % nested, content_type="application/json")
        assert response.status_code == 400, (path, response.get_data()[:300])
    assert len(producer.values("events.dlq")) == 2


def test_server_set_fields_fit_the_envelope(client, producer):
    assert client.post("/v1/events", json=WEAPON, headers={"User-Agent": "a" * 5003}).status_code == 202
    agent = producer.values("events")[0]["user_agent"]
    assert len(agent) == 512 and agent.endswith("…[truncated]")
    fastjsonschema.validate(stored_schema("purchase_weapon"), producer.values("events")[0], formats=FORMATS)


@pytest.mark.parametrize(
    ("host", "says"),
    [("a.example,evil.example", "more than one Host header"), ("h" * 300, "300 characters"), ("h" * 64, "label")],
)
def test_unrecordable_host_is_400_with_a_dead_letter(client, producer, host, says):
    response = client.post("/v1/events", json=WEAPON, headers={"Host": host})
    assert response.status_code == 400 and says in response.get_json()["message"]
    (dead,) = producer.values("events.dlq")
    assert dead["field"] == "host" and says in dead["reason"] and len(dead["host"]) <= 256
    assert producer.values("events") == []
    assert client.get("/healthz", headers={"Host": host}).status_code == 200


def test_head_of_the_root_logs_nothing(client, producer):
    assert client.head("/").status_code == 200
    assert producer.sent == []
