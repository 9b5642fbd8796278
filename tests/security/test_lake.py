"""Through the whole stack (API on :5000 -> Kafka -> Spark -> Iceberg -> Trino): refused input lands in
bad_events, and SQL-looking strings arrive in Trino unchanged, as data."""

from __future__ import annotations

import json
import uuid

import pytest
import requests

from tests.e2e.conftest import API
from tests.integration.conftest import query, wait_for
from tests.security.test_hostile_input import SQL

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def test_refused_requests_land_in_bad_events(lake):
    run = f"sec-lake-{uuid.uuid4().hex[:8]}"
    # Each body carries the run id: identical refusals (same endpoint, reason and raw text) share one
    # dead-letter id by design, so a client's retry is one bad_events row.
    tag = run.encode()
    refusals = {
        "not-json": (b"{not json " + tag, "application/json", 400),
        "html": (b'{"event_type": "join_guild", "user_id": "' + tag + b'"}', "text/html", 415),
        "too-big": (b"[" * (2 * 1024 * 1024 + int(run[-4:], 16)), "application/json", 413),
        "bad-field": (json.dumps({"event_type": "join_guild", "user_id": run}).encode(), "application/json", 400),
        "surrogate": (b'{"event_type":"join_guild","user_id":"' + tag + b'\\ud800"}', "application/json", 400),
    }
    for name, (body, content_type, status) in refusals.items():
        response = requests.post(
            f"{API}/v1/events",
            data=body,
            headers={"Content-Type": content_type, "User-Agent": f"{run}-{name}"},
            timeout=60,
        )
        assert response.status_code == status, (name, response.text[:300])
    sql = f"SELECT user_agent, reason FROM bad_events WHERE user_agent LIKE '{run}-%' ORDER BY user_agent"
    rows = wait_for(lambda: len(query(lake, sql)), len(refusals), timeout_s=180)
    assert rows == len(refusals), f"{rows} of {len(refusals)} refusals reached bad_events"
    reasons = dict(query(lake, sql))
    assert "not valid JSON" in reasons[f"{run}-not-json"]
    assert "Content-Type 'text/html'" in reasons[f"{run}-html"]
    assert "exceeds the limit" in reasons[f"{run}-too-big"]
    assert "guild_name" in reasons[f"{run}-bad-field"]
    assert "surrogate" in reasons[f"{run}-surrogate"]


def test_sql_looking_strings_and_integral_floats_arrive_in_trino_unchanged(lake):
    run = f"sec-sql-{uuid.uuid4().hex[:8]}"
    user = f"{run}-{SQL}"
    weapon = {"event_type": "purchase_weapon", "user_id": user, "weapon_type": SQL, "event_id": str(uuid.uuid4())}
    body = json.dumps(weapon)[:-1] + ', "gold_cost": 10.0, "damage": 1e3}'  # integers written as floats
    guild = {"event_type": "join_guild", "user_id": user, "guild_name": SQL[::-1], "event_id": str(uuid.uuid4())}
    response = requests.post(f"{API}/v1/events", data=body, headers={"Content-Type": "application/json"}, timeout=30)
    assert response.status_code == 202, response.text
    assert requests.post(f"{API}/v1/events", json=guild, timeout=30).status_code == 202
    weapon_sql = (
        "SELECT to_hex(to_utf8(user_id)), to_hex(to_utf8(weapon_type)), gold_cost, damage "
        f"FROM purchase_weapon WHERE event_id = '{weapon['event_id']}'"
    )
    expected = [[user.encode().hex().upper(), SQL.encode().hex().upper(), 10, 1000]]
    assert wait_for(lambda: query(lake, weapon_sql), expected, timeout_s=180) == expected
    # Looked up by the hostile string itself, as a (properly quoted) literal.
    guild_sql = f"SELECT guild_name FROM join_guild WHERE user_id = {_sql_literal(user)}"
    assert wait_for(lambda: query(lake, guild_sql), [[SQL[::-1]]], timeout_s=120) == [[SQL[::-1]]]
