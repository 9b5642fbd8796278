"""Malformed and hostile bodies against a real gunicorn API and broker: a clear 4xx, never a 5xx, and
every refusal recorded in the dead-letter topic (found by the User-Agent each case sends)."""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.security.conftest import WEAPON, ApiServer

pytestmark = pytest.mark.integration


def _json(doc: Any) -> bytes:
    return json.dumps(doc).encode()


def _event(**fields: Any) -> dict[str, Any]:
    return {**WEAPON, **fields}


NOW = datetime.now(UTC)
SQL = "'; DROP TABLE purchase_weapon; -- \" OR 1=1 /* \\ %_ ${x} {{y}} \u0000 \u202e ünïcødé 🗡"


@dataclass(frozen=True)
class Case:
    name: str
    body: bytes | Iterator[bytes]
    status: int
    says: str  # a fragment the response (message or rejection reason) must contain
    content_type: str = "application/json"
    path: str = "/v1/events"


def _chunks(total: int, size: int = 65536) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        yield b"[" * min(size, total - sent)
        sent += size


CASES = [
    Case("invalid-utf8", b'{"event_type":"join_guild","user_id":"\xff\xfe","guild_name":"g"}', 400, "not valid JSON"),
    Case("lone-surrogate", _json(_event(weapon_type="\ud800")), 400, "surrogate"),
    Case("truncated", b'{"event_type": "join_guild", "user_id": ', 400, "not valid JSON"),
    Case("nested-100k", b"[" * 100_000 + b"]" * 100_000, 400, "not valid JSON"),
    Case("nested-1000", b"[" * 1000 + b"]" * 1000, 400, "must be a JSON object"),
    Case("nested-attribute", _json(_event(weapon_type=[[[[[[["x"]]]]]]])), 400, "weapon_type must be string"),
    Case("huge-integer", _json(_event(gold_cost=10**30)), 400, "gold_cost"),
    Case("5000-digit-integer", b'{"gold_cost": 1' + b"0" * 5000 + b"}", 400, "not valid JSON"),
    Case("nan", _json(_event(gold_cost=float("nan"))), 400, "gold_cost must be integer"),
    Case("infinity", _json(_event(gold_cost=float("inf"))), 400, "gold_cost must be integer"),
    Case(
        "huge-float",
        b'{"event_type":"purchase_weapon","user_id":"u","weapon_type":"s","gold_cost":1e400}',
        400,
        "gold_cost",
    ),
    Case("negative-zero-cost", _json(_event(gold_cost=-1)), 400, "gold_cost must be bigger than or equal to 0"),
    Case("text-html", _json(WEAPON), 415, "Content-Type 'text/html' is not supported", content_type="text/html"),
    Case("xml", b"<event/>", 415, "not supported", content_type="application/xml"),
    Case("multipart", b"--x\r\n\r\n--x--", 415, "not supported", content_type="multipart/form-data; boundary=x"),
    Case("10MB-declared", b"[" * (10 * 1024 * 1024), 413, "exceeds the limit"),
    Case("100k-events", b"[" + b",".join([b"{}"] * 100_000) + b"]", 413, "100000 events in one request"),
    Case("empty", b"", 400, "body is empty"),
    Case("empty-array", b"[]", 400, "no events in body"),
    Case("null", b"null", 400, "body is empty"),
    Case("scalar", b'"purchase_weapon"', 400, "event must be a JSON object"),
    Case("events-not-array", b'{"events": {"a": 1}}', 400, '"events" must be a JSON array'),
    Case("unknown-field", _json(_event(is_admin=True)), 400, "unknown field(s) for purchase_weapon: is_admin"),
    Case("unknown-type", _json({"event_type": "grant_gold", "user_id": "u"}), 400, "unknown event_type"),
    Case("long-user-id", _json(_event(user_id="u" * 10_000)), 400, "user_id"),
    Case("bad-event-id", _json(_event(event_id="'; DROP TABLE x; --")), 400, "event_id"),
    Case("ts-year-9999", _json(_event(event_ts="9999-12-31T23:59:59Z")), 400, "outside the accepted window"),
    Case("ts-year-0", _json(_event(event_ts="0000-01-01T00:00:00Z")), 400, "event_ts must be date-time"),
    Case("ts-1970", _json(_event(event_ts="1970-01-01T00:00:00Z")), 400, "outside the accepted window"),
    Case("ts-leap-second", _json(_event(event_ts="2026-06-30T23:59:60Z")), 400, "event_ts"),
    Case("ts-offset-99", _json(_event(event_ts="2026-11-27T10:00:00+99:99")), 400, "event_ts must be date-time"),
    Case("ts-no-zone", _json(_event(event_ts=NOW.strftime("%Y-%m-%dT%H:%M:%S"))), 400, "event_ts"),
    Case("ts-number", _json(_event(event_ts=1e308)), 400, "event_ts must be string"),
    Case("ts-next-week", _json(_event(event_ts=(NOW + timedelta(days=7)).isoformat())), 400, "outside the accepted"),
    Case(
        "seed-wrong-type",
        _json({"event_type": "join_guild"}),
        400,
        "does not match endpoint",
        path="/purchase_a_weapon",
    ),
    Case("seed-array", b"[1, 2]", 400, "must be a JSON object", path="/enter_a_battle"),
    # Past year 9999 / before year 1 once converted to UTC (an OverflowError and a 500 before).
    Case("ts-overflow-high", _json(_event(event_ts="9999-12-31T23:59:59-23:59")), 400, "event_ts must be date-time"),
    Case("ts-overflow-low", _json(_event(event_ts="0001-01-01T00:00:00+23:59")), 400, "event_ts must be date-time"),
    # An event_type nested 990 levels deep (a RecursionError and a 500 before).
    Case("deep-type", b'{"event_type":' + b"[" * 990 + b"]" * 990 + b',"user_id":"u"}', 400, "unknown event_type"),
    Case(
        "seed-deep-event-type",
        b'{"event_type":' + b"[" * 990 + b"]" * 990 + b"}",
        400,
        "does not match endpoint",
        path="/join_a_guild",
    ),
    # UUIDs in canonical 8-4-4-4-12 form only (uuid.UUID() takes all of these).
    Case("uuid-urn", _json(_event(event_id=f"urn:uuid:{uuid.uuid4()}")), 400, "event_id must be"),
    Case("uuid-hyphens", _json(_event(event_id="----" + uuid.uuid4().hex)), 400, "event_id must be uuid"),
    Case("uuid-plus", _json(_event(event_id="+" + str(uuid.uuid4())[1:])), 400, "event_id must be uuid"),
    Case("uuid-underscore", _json(_event(event_id=str(uuid.uuid4()).replace("-", "_"))), 400, "event_id must be uuid"),
    Case("uuid-fullwidth", _json(_event(event_id="\uff11" + str(uuid.uuid4())[1:])), 400, "event_id must be uuid"),
    Case("uuid-no-hyphens", _json(_event(event_id=uuid.uuid4().hex)), 400, "event_id must be uuid"),
    Case("unknown-field-5000", _json(_event(**{"x" * 5000: 1})), 400, "unknown field(s)"),
]


def post(api: ApiServer, case: Case, agent: str) -> requests.Response:
    headers = {"Content-Type": case.content_type, "User-Agent": agent}
    return requests.post(f"{api.url}{case.path}", data=case.body, headers=headers, timeout=60)


def test_each_hostile_body_gets_a_clear_4xx_and_a_dead_letter(open_api: ApiServer):
    run = uuid.uuid4().hex[:8]
    for case in CASES:
        response = post(open_api, case, f"sec-{run}-{case.name}")
        assert response.status_code == case.status, (case.name, response.status_code, response.text[:500])
        assert response.headers["Content-Type"] == "application/json", case.name
        body = response.json()
        said = body.get("message") or " ".join(r["reason"] for r in body.get("rejected", []))
        assert case.says in said, (case.name, said)
    dead = open_api.dead_letters(len(CASES), timeout_s=60)
    by_agent: dict[str, list[dict]] = {}
    for record in dead:
        by_agent.setdefault(record["user_agent"], []).append(record)
    for case in CASES:
        records = by_agent.get(f"sec-{run}-{case.name}")
        assert records, f"{case.name}: refused but not dead-lettered"
        assert len(records) == 1, (case.name, records)
        assert case.says in records[0]["reason"], (case.name, records[0]["reason"])
        assert records[0]["endpoint"] == case.path
        assert len(records[0]["raw"]) <= 8192
        assert records[0]["field"] is None or len(records[0]["field"]) <= 256, case.name
    stored = [e for e in open_api.events(0, timeout_s=10) if e["user_agent"].startswith(f"sec-{run}-")]
    assert stored == [], "nothing hostile was stored as an event"


def test_accepted_odd_but_valid_input_is_stored_as_sent(open_api: ApiServer):
    marker = uuid.uuid4().hex[:8]
    at = (NOW + timedelta(hours=2)).replace(microsecond=0)
    bodies = [
        # Duplicate keys: the last value wins (as in orjson and the stdlib), and only it is stored.
        b'{"event_type":"purchase_weapon","user_id":"dup-%s","weapon_type":"s","gold_cost":-1,"gold_cost":5}',
        # 10.0 and 1e5 are integers to JSON Schema; they are stored as integer literals.
        b'{"event_type":"purchase_weapon","user_id":"float-%s","weapon_type":"s","gold_cost":10.0,"damage":1e5}',
        # A time zone far from UTC (+14:00), a little in the future: fine, normalised to UTC.
        b'{"event_type":"join_guild","user_id":"tz-%s","guild_name":"g","event_ts":"'
        + at.astimezone(ZoneInfo("Pacific/Kiritimati")).isoformat().encode()
        + b'"}',
    ]
    for body in bodies:
        response = requests.post(
            f"{open_api.url}/v1/events",
            data=body % marker.encode(),
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
        assert response.status_code == 202, response.text
    stored = {e["user_id"].split("-")[0]: e for e in open_api.events(3) if e["user_id"].endswith(marker)}
    assert stored["dup"]["gold_cost"] == 5
    raw_float = json.dumps(stored["float"])
    assert stored["float"]["gold_cost"] == 10 and '"gold_cost": 10,' in raw_float and '"damage": 100000' in raw_float
    assert stored["tz"]["event_ts"] == at.strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def _raw_request(port: int, request: bytes, timeout_s: float = 10.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as s:
        s.sendall(request)
        chunks = []
        while True:
            try:
                data = s.recv(65536)
            except TimeoutError:
                break
            if not data:
                break
            chunks.append(data)
        return b"".join(chunks)


def _status(raw: bytes) -> int:
    return int(raw.split(b" ", 2)[1])


HEADER_TRICKS = {
    # CR/LF inside a value ends the header: the "injected" line is just another request header.
    "split-header": b"X-Request-Id: abc\r\nSet-Cookie: admin=1\r\n",
    "bare-lf-in-value": b"X-Request-Id: abc\nSet-Cookie: admin=1\r\n",
    "bare-cr-in-value": b"X-Request-Id: abc\rSet-Cookie: admin=1\r\n",
    "nul-in-value": b"X-Request-Id: a\x00b\r\n",
    "control-char": b"User-Agent: a\x01b\r\n",
    "huge-header": b"User-Agent: " + b"a" * 9000 + b"\r\n",
    "too-many-headers": b"".join(b"X-H%d: v\r\n" % i for i in range(120)),
    "sql-in-host": b"Host: '; DROP TABLE x; --\r\n",
    "two-content-lengths": b"Content-Length: 5\r\n",
    "chunked-and-length": b"Transfer-Encoding: chunked\r\n",
}


@pytest.mark.parametrize("name", sorted(HEADER_TRICKS))
def test_header_tricks_never_reach_the_response_or_crash(open_api: ApiServer, name):
    headers = HEADER_TRICKS[name]
    body = _json(WEAPON)
    host = b"" if b"Host:" in headers else b"Host: 127.0.0.1\r\n"
    request = (
        b"POST /v1/events HTTP/1.1\r\n" + host + b"Content-Type: application/json\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n" % len(body) + headers + b"\r\n" + body
    )
    raw = _raw_request(open_api.port, request)
    status = _status(raw)
    assert status == 202 or 400 <= status < 500, (name, raw[:300])
    head = raw.split(b"\r\n\r\n", 1)[0].lower()
    assert b"set-cookie" not in head, "a request header was reflected as a response header"
    assert requests.get(f"{open_api.url}/healthz", timeout=10).status_code == 200


def test_request_id_is_echoed_only_within_bounds(open_api: ApiServer):
    response = requests.post(f"{open_api.url}/v1/events", json=WEAPON, headers={"X-Request-Id": "r" * 5000}, timeout=30)
    assert response.status_code == 202
    assert response.headers["X-Request-Id"] == "r" * 64


def test_chunked_10mb_body_is_cut_off_at_the_limit(open_api: ApiServer):
    agent = f"sec-chunked-{uuid.uuid4().hex[:8]}"
    try:
        response = requests.post(
            f"{open_api.url}/v1/events",
            data=_chunks(10 * 1024 * 1024),
            headers={"Content-Type": "application/json", "User-Agent": agent},
            timeout=60,
        )
        assert response.status_code == 413 and "exceeds the limit" in response.json()["message"]
    except requests.ConnectionError:
        pass  # the server may answer and close before the client has finished sending
    dead = [d for d in open_api.dead_letters(1, timeout_s=30) if d["user_agent"] == agent]
    assert len(dead) == 1 and "more than 1048576" in dead[0]["reason"]
    assert len(dead[0]["raw"]) <= 256
    assert requests.get(f"{open_api.url}/healthz", timeout=10).status_code == 200


def test_sql_looking_strings_reach_kafka_byte_for_byte(open_api: ApiServer):
    marker = uuid.uuid4().hex[:8]
    event = _event(user_id=f"{SQL}-{marker}", weapon_type=SQL)
    response = requests.post(f"{open_api.url}/v1/events", json=event, timeout=30)
    assert response.status_code == 202, response.text
    (stored,) = [e for e in open_api.events(1) if e["user_id"].endswith(marker)]
    assert stored["weapon_type"] == SQL and stored["user_id"] == f"{SQL}-{marker}"


def test_server_set_fields_are_held_to_the_envelope_limits(open_api: ApiServer):
    marker = uuid.uuid4().hex[:8]
    agent = f"sec-ua-{marker}-" + "a" * 5000
    response = requests.post(
        f"{open_api.url}/v1/events", json=_event(user_id=f"ua-{marker}"), headers={"User-Agent": agent}, timeout=30
    )
    assert response.status_code == 202, response.text
    (stored,) = [e for e in open_api.events(1) if e["user_id"] == f"ua-{marker}"]
    assert len(stored["user_agent"]) == 512
    assert stored["user_agent"].startswith(f"sec-ua-{marker}-aaa") and stored["user_agent"].endswith("…[truncated]")


HOST_CASES = {
    # Two Host headers reach the app joined by a comma; RFC 9112 says 400.
    "duplicate-host": (b"Host: 127.0.0.1\r\nHost: evil.example\r\n", "more than one Host header"),
    "long-host": (b"Host: " + b"h." * 150 + b"x\r\n", "Host header of 301 characters"),
    "long-label": (b"Host: " + b"h" * 70 + b".example\r\n", "label over 63 characters"),
}


@pytest.mark.parametrize("name", sorted(HOST_CASES))
def test_bad_host_headers_get_400_and_a_dead_letter(open_api: ApiServer, name):
    headers, says = HOST_CASES[name]
    agent = f"sec-host-{name}-{uuid.uuid4().hex[:8]}"
    body = _json(WEAPON)
    request = (
        b"POST /v1/events HTTP/1.1\r\n" + headers + b"User-Agent: " + agent.encode() + b"\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body
    )
    raw = _raw_request(open_api.port, request)
    assert _status(raw) == 400, raw[:300]
    assert says.encode() in raw and b"application/json" in raw.split(b"\r\n\r\n", 1)[0]
    dead = [d for d in open_api.dead_letters(1, timeout_s=30) if d["user_agent"] == agent]
    assert len(dead) == 1 and says in dead[0]["reason"] and dead[0]["field"] == "host", dead
    assert len(dead[0]["host"]) <= 256


def test_malformed_chunk_size_gets_400_not_408(open_api: ApiServer):
    agent = f"sec-chunk-{uuid.uuid4().hex[:8]}"
    request = (
        b"POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: " + agent.encode() + b"\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        b"zz\r\n{}\r\n0\r\n\r\n"
    )
    raw = _raw_request(open_api.port, request)
    assert _status(raw) == 400 and b"malformed chunked body" in raw, raw[:300]
    dead = [d for d in open_api.dead_letters(1, timeout_s=30) if d["user_agent"] == agent]
    assert len(dead) == 1 and "malformed chunked body" in dead[0]["reason"]


def test_head_of_the_root_writes_nothing(open_api: ApiServer):
    agent = f"sec-head-{uuid.uuid4().hex[:8]}"
    assert requests.head(f"{open_api.url}/", headers={"User-Agent": agent}, timeout=10).status_code == 200
    got = requests.get(f"{open_api.url}/", headers={"User-Agent": agent + "-get"}, timeout=10)
    assert got.status_code == 202
    agents = [e["user_agent"] for e in open_api.events(1) if (e["user_agent"] or "").startswith(agent)]
    assert agents == [agent + "-get"], agents
