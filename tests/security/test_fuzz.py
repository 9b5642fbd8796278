"""Property-based fuzzing of every endpoint against a real gunicorn API and broker (hypothesis on raw
bodies, schemathesis from the OpenAPI document), then a check of everything the fuzzers left in Kafka:
every acknowledged event stored once and schema-conformant, every refusal dead-lettered."""

from __future__ import annotations

import json
from typing import Any

import fastjsonschema
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from questlog_core.validation import FORMATS

from tests.conftest import ROOT
from tests.security.conftest import ApiServer
from tests.unit.test_api import event_like, json_values, stored_schema

pytestmark = pytest.mark.integration

SCHEMA = schemathesis.openapi.from_path(ROOT / "services" / "api" / "openapi.json")
SEGMENT_PATHS = ("/v1/batch", "/v1/track")
EVENT_PATHS = ["/v1/events", "/purchase_a_weapon", "/join_a_guild", "/enter_a_battle", *SEGMENT_PATHS]
# What the fuzzers saw: event ids acknowledged, dead letters the API must have written.
LEDGER: dict[str, Any] = {"accepted": [], "dead_letters": 0, "requests": 0}


def record(response: requests.Response | schemathesis.Response) -> None:
    """Check the universal promises of one answer and note what it says was stored or refused."""
    LEDGER["requests"] += 1
    assert response.status_code < 500, (response.status_code, response.text[:500])
    if response.request.path_url in ("/healthz", "/metrics", "/openapi.json", "/readyz"):
        return
    if response.request.method not in ("GET", "POST"):  # schemathesis also tries undocumented methods
        assert response.status_code in (200, 405), response.status_code  # Flask's OPTIONS, or 405
        return
    headers = {k.lower(): v if isinstance(v, str) else v[0] for k, v in response.headers.items()}
    assert headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    if "accepted" in body:  # an ingest result: 202 or 400; on the Segment endpoints 200 or 400
        LEDGER["accepted"] += [a["event_id"] for a in body["accepted"]]
        # Messages of types questlog does not store (Segment identify, page, ...) are dead-lettered too.
        LEDGER["dead_letters"] += body["rejected_count"] + body.get("skipped_count", 0)
        assert body["accepted_count"] == len(body["accepted"]) and body["rejected_count"] == len(body["rejected"])
        if response.request.path_url in SEGMENT_PATHS:
            ok = bool(body["accepted"]) or not body["rejected"]
            assert (response.status_code, body["success"]) == ((200, True) if ok else (400, False))
        else:
            assert response.status_code == (202 if body["accepted"] else 400)
        assert all(r["reason"] for r in body["rejected"]), "every rejection says why"
    else:
        assert body["error"] and body["message"], body
        if response.status_code in (400, 408, 413, 415):
            LEDGER["dead_letters"] += 1


# The unit tests' event strategy, plus what they leave out: NaN, infinities, integers beyond 64 bits,
# any value in any field, times without a zone.
hostile_values = st.floats() | st.integers(min_value=-(2**70), max_value=2**70) | json_values
hostile_event = st.tuples(
    event_like,
    st.sampled_from(["gold_cost", "damage", "user_id", "event_ts", "event_id", "outcome", "special_power"]),
    hostile_values | st.datetimes().map(lambda d: d.isoformat()),
).map(lambda t: {**t[0], t[1]: t[2]})
event_like = event_like | hostile_event
bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    event_like.map(lambda v: json.dumps(v).encode()),
    st.lists(event_like, max_size=6).map(lambda v: json.dumps({"events": v}).encode()),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
)
header_text = st.text(st.characters(min_codepoint=33, max_codepoint=0x2FFF, exclude_categories=["Cs"]), max_size=20)
content_types = st.sampled_from(["application/json", "text/plain", "", "application/vnd.x+json", "text/csv"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(EVENT_PATHS), body=bodies, content_type=content_types, user=header_text)
def test_random_requests_never_5xx(open_api: ApiServer, path, body, content_type, user):
    headers = {"Content-Type": content_type, "X-User-Id": user.encode("utf-8", "replace")}
    record(requests.post(f"{open_api.url}{path}", data=body, headers=headers, timeout=60))


@SCHEMA.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
def test_openapi_operations_conform(case, open_api: ApiServer):
    response = case.call(base_url=open_api.url, timeout=60)
    record(response)
    case.validate_response(
        response,
        checks=[
            schemathesis.checks.not_a_server_error,
            schemathesis.checks.status_code_conformance,
            schemathesis.checks.content_type_conformance,
            schemathesis.checks.response_schema_conformance,
            schemathesis.checks.response_headers_conformance,
        ],
    )


def test_what_the_fuzzers_left_in_kafka_is_exactly_what_was_promised(open_api: ApiServer):
    assert LEDGER["requests"] > 100, "the fuzz tests above ran"
    stored = open_api.events(len(LEDGER["accepted"]), timeout_s=60)
    assert sorted(e["event_id"] for e in stored) == sorted(LEDGER["accepted"]), "acknowledged = stored, once each"
    for event in stored:
        fastjsonschema.validate(stored_schema(event["event_type"]), event, formats=FORMATS)
        assert all(type(v) is not float for v in event.values()), "integer columns get integer literals"
    dead = open_api.dead_letters(LEDGER["dead_letters"], timeout_s=60)
    assert len(dead) == LEDGER["dead_letters"], "every refusal was dead-lettered, once"
    assert all(d["reason"] and d["dlq_id"] for d in dead)
