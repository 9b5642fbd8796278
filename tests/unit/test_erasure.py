"""Player erasure: the user hash, the log's folding, the admin routes and the ingest refusal (with
in-memory stand-ins; tests/e2e/test_erasure.py runs the whole path on the real stack)."""

from __future__ import annotations

import pytest
from questlog_api.app import create_app
from questlog_api.settings import Settings
from questlog_core.erasure import STREAM_ACK, Erasure, ErasureError, LogState, erasure_id, read_key, user_hash

from tests.unit.fakes import FakeErasures, FakeProducer

ADMIN = {"X-Admin-Key": "a" * 40}
KEY = b"k" * 64


def test_user_hash_is_keyed_and_stable():
    assert user_hash(KEY, "player-1") == user_hash(KEY, "player-1")
    assert user_hash(KEY, "player-1") != user_hash(b"j" * 64, "player-1")
    assert user_hash(KEY, "player-1") != user_hash(KEY, "player-2")
    assert "player-1" not in user_hash(KEY, "player-1")
    assert erasure_id(user_hash(KEY, "p")) == erasure_id(user_hash(KEY, "p"))


def test_privacy_key_must_exist_and_be_long(tmp_path):
    with pytest.raises(ErasureError, match="cannot be read"):
        read_key(tmp_path / "missing")
    short = tmp_path / "short"
    short.write_text("abc\n")
    with pytest.raises(ErasureError, match="shorter than 32"):
        read_key(short)
    good = tmp_path / "good"
    good.write_text("x" * 64 + "\n")
    assert read_key(good) == b"x" * 64


def test_log_state_keeps_the_first_offset_and_the_newest_state():
    state = LogState()
    accepted = Erasure("e1", "h1", user_id="p1")
    state.apply(b"u/h1", accepted.encode(), 3)
    state.apply((STREAM_ACK + "s1").encode(), b'{"applied": 3}', 4)
    done = Erasure("e1", "h1", status="done", rows_deleted={"game.t": 2}, counted=True)
    state.apply(b"u/h1", done.encode(), 7)
    erasure = state.erasures["h1"]
    assert (erasure.status, erasure.offset, erasure.rows_deleted) == ("done", 3, {"game.t": 2})
    assert state.acknowledged("s1") == 3 and state.acknowledged("s2") == -1
    assert state.last_request == 7 and state.end == 8
    assert state.ids() == [] and state.hashes() == ["h1"] and state.hashes_without_id() == ["h1"]
    state.apply(b"u/h2", Erasure("e2", "h2", user_id="p2").encode(), 9)
    assert state.ids() == ["p2"] and state.hashes_without_id() == ["h1"]
    public = erasure.public()
    assert set(public) == {"erasure_id", "status", "requested_at", "completed_at", "rows_deleted"}


@pytest.fixture
def producer() -> FakeProducer:
    return FakeProducer()


def app_with(producer: FakeProducer, erasures: FakeErasures | None, **settings):
    base = Settings(access_log=False, admin_keys=(ADMIN["X-Admin-Key"],), **settings)
    return create_app(base, producer, erasures=erasures).test_client()


def test_admin_routes_need_the_admin_key(producer):
    client = app_with(producer, FakeErasures(), auth_enabled=True, api_keys=("ingest-key",))
    for headers in ({}, {"X-Admin-Key": "wrong"}, {"X-Api-Key": "ingest-key"}):
        answer = client.post("/v1/admin/erasures", json={"user_id": "p1"}, headers=headers)
        assert answer.status_code == 401, headers
        assert client.get("/v1/admin/erasures/x", headers=headers).status_code == 401
    assert client.post("/v1/admin/erasures", json={"user_id": "p1"}, headers=ADMIN).status_code == 202
    # The admin key does not open the ingest endpoints.
    assert client.post("/v1/events", json={}, headers=ADMIN).status_code == 401


def test_no_admin_key_configured_refuses_every_admin_request(producer):
    client = create_app(Settings(access_log=False), producer, erasures=FakeErasures()).test_client()
    assert client.post("/v1/admin/erasures", json={"user_id": "p1"}, headers=ADMIN).status_code == 401


def test_erasure_requests_are_idempotent_and_report_counts_only(producer):
    client = app_with(producer, FakeErasures())
    first = client.post("/v1/admin/erasures", json={"user_id": "p1"}, headers=ADMIN)
    again = client.post("/v1/admin/erasures", json={"user_id": "p1"}, headers=ADMIN)
    assert first.status_code == again.status_code == 202
    assert first.get_json() == again.get_json() == {"erasure_id": first.get_json()["erasure_id"], "status": "accepted"}
    status = client.get(f"/v1/admin/erasures/{first.get_json()['erasure_id']}", headers=ADMIN)
    assert status.status_code == 200
    body = status.get_json()
    assert body["status"] == "accepted" and body["rows_deleted"] == {} and "p1" not in status.get_data(as_text=True)
    assert client.get("/v1/admin/erasures/nope", headers=ADMIN).status_code == 404
    for bad in ({}, {"user_id": ""}, {"user_id": 5}, [], {"user_id": "x" * 10_000}):
        answer = client.post("/v1/admin/erasures", json=bad, headers=ADMIN)
        assert answer.status_code == 400 and answer.get_json()["field"] == "user_id", bad
    # Admin bodies hold player ids: nothing of them goes to the dead-letter topic.
    assert producer.sent == []


def test_erasure_without_a_privacy_key_answers_503(producer):
    client = app_with(producer, None)
    answer = client.post("/v1/admin/erasures", json={"user_id": "p1"}, headers=ADMIN)
    assert answer.status_code == 503 and "QUESTLOG_API_PRIVACY_KEY_FILE" in answer.get_json()["message"]
    assert answer.headers["Retry-After"]


def battle(user: str, outcome: str = "won") -> dict:
    return {"event_type": "enter_battle", "user_id": user, "enemy": "orc", "outcome": outcome}


def test_events_of_erased_players_are_refused_and_not_dead_lettered(producer):
    client = app_with(producer, FakeErasures(["gone"]))
    answer = client.post("/v1/events", json=[battle("gone"), battle("gone", "draw")])
    assert answer.status_code == 403
    assert answer.get_json()["error"] == "forbidden" and "erased" in answer.get_json()["message"]
    assert producer.sent == []
    mixed = client.post("/v1/events", json=[battle("kept"), battle("gone"), battle("kept", "draw")])
    assert mixed.status_code == 202
    body = mixed.get_json()
    assert [a["index"] for a in body["accepted"]] == [0]
    assert [(r["index"], r["field"]) for r in body["rejected"]] == [(1, "user_id"), (2, "outcome")]
    assert all(b"gone" not in value for _topic, _key, value in producer.sent)
    assert [topic for topic, _key, _value in producer.sent] == ["events", "events.dlq"]
    seed = client.post("/enter_a_battle", json={"user_id": "gone", "enemy": "orc", "outcome": "won"})
    assert seed.status_code == 403
