"""Real Segment-spec SDKs (pinned in uv.lock and tests/sdk/node/package-lock.json) -> /v1/batch -> lake.

Each SDK sends every lake event type plus invalid messages with its default batching, retries and
compression (RudderStack's Python SDK gzips by default): every valid message lands exactly once with the
mapped fields, every invalid one is in bad_events. One SDK flushes while the API restarts: its own retry
plus our dedup by messageId lose and double nothing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from questlog_core.paths import repo_root
from questlog_core.registry import default_registry
from questlog_stack import supervisor
from questlog_stack.paths import Paths
from questlog_stack.services import by_name

from tests.e2e.conftest import API, EXTERNAL, wait_for
from tests.integration.conftest import query

NODE_DIR = repo_root() / "tests" / "sdk" / "node"
WRITE_KEY = "questlog-e2e"
# One valid properties object per lake event type (a new type must be added here: the test checks).
VALID = {
    "purchase_weapon": {"weapon_type": "sword", "gold_cost": 120},
    "join_guild": {"guild_name": "owls"},
    "enter_battle": {"enemy": "troll", "outcome": "won"},
    "session_start": {},
    "session_end": {"duration_s": 300},
    "iap_purchase": {"product_id": "gems_500", "price_cents": 499, "currency": "EUR", "transaction_id": "t"},
    "currency_change": {"currency_name": "gold", "amount": -120, "reason": "shop"},
    "level_progress": {"level": 3, "status": "complete"},
}
PLATFORMS = [({"os": {"name": "iOS"}}, "ios"), ({"os": {"name": "Android"}}, "android"), ({}, None)]


def test_valid_properties_cover_every_lake_event_type():
    assert set(VALID) == set(default_registry().lake_event_types)


def plan(run: str, n: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return (messages, expected lake rows by session_id). Every 10th message is invalid (unknown event
    or a required property missing) and one is an identify: those go to bad_events."""
    now = datetime.now(UTC)
    types = sorted(VALID)
    messages, expected = [], []
    for i in range(n):
        event = types[i % len(types)]
        context, platform = PLATFORMS[i % len(PLATFORMS)]
        message = {
            "type": "track",
            "userId": f"{run}-p{i % 13}",
            "event": event,
            # session_id tells the rows apart in every table; transaction ids must be unique per purchase.
            "properties": {**VALID[event], "session_id": f"{run}-{i}"}
            | ({"transaction_id": f"{run}-t{i}"} if event == "iap_purchase" else {}),
            "timestamp": (now - timedelta(seconds=n - i)).isoformat(),
            "messageId": str(uuid.uuid4()),
            "context": {**context, "app": {"version": "2.4.1"}},
        }
        if i % 10 == 9:
            message["userId"] = f"{run}-bad{i}"
            if i % 20 == 9:
                message["event"] = "no_such_event"
            else:
                message["properties"] = {"session_id": f"{run}-{i}"}
                message["event"] = "purchase_weapon"
        else:
            expected.append({"table": event, "session_id": f"{run}-{i}", "platform": platform})
        messages.append(message)
    messages.append({"type": "identify", "userId": f"{run}-bad-identify", "messageId": str(uuid.uuid4())})
    return messages, expected


def send_python(module: str, messages: list[dict[str, Any]], pace_s: float = 0.0) -> list[str]:
    """Send through segment-analytics-python or rudder-sdk-python with their default settings."""
    errors: list[str] = []

    def on_error(error: Exception, _batch: Any) -> None:
        errors.append(repr(error))

    if module == "segment":
        from segment.analytics import Client
    else:
        from rudderstack.analytics import Client  # type: ignore[no-redef]
    client = Client(WRITE_KEY, host=API, on_error=on_error)
    for m in messages:
        ts = datetime.fromisoformat(m["timestamp"]) if "timestamp" in m else None
        if m["type"] == "identify":
            client.identify(m["userId"], {"level": 3}, message_id=m["messageId"])
        else:
            client.track(m["userId"], m["event"], m["properties"], m["context"], ts, message_id=m["messageId"])
        if pace_s:
            time.sleep(pace_s)
    client.flush()
    client.join()
    return errors


def send_node(messages: list[dict[str, Any]], tmp_path: Path) -> list[str]:
    node = shutil.which("node")
    assert node and (NODE_DIR / "node_modules" / "@segment" / "analytics-node").is_dir(), "run make setup"
    file = tmp_path / "messages.json"
    file.write_text(json.dumps(messages))
    done = subprocess.run(
        [node, "send.mjs", API, WRITE_KEY, str(file)], cwd=NODE_DIR, capture_output=True, text=True, timeout=180
    )
    assert done.stdout, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])["errors"]


def landed(cursor, run: str) -> dict[str, list[Any]]:
    """session_id -> [table, rows, platform, app_version] for every row of the run in the lake."""
    out: dict[str, list[Any]] = {}
    for table in sorted(VALID):
        sql = (
            f"SELECT session_id, count(*), max(platform), max(app_version) FROM {table} "
            f"WHERE user_id LIKE '{run}-p%' GROUP BY session_id"
        )
        for session_id, rows, platform, version in query(cursor, sql):
            out[session_id] = [table, rows, platform, version]
    return out


def assert_lake_matches(cursor, run: str, messages: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    want = {e["session_id"]: [e["table"], 1, e["platform"], "2.4.1"] for e in expected}
    assert wait_for(lambda: landed(cursor, run), want) == want
    bad = [m for m in messages if m["userId"].startswith(f"{run}-bad")]
    bad_sql = f"SELECT count(*), count(DISTINCT user_id) FROM bad_events WHERE user_id LIKE '{run}-bad%'"
    assert wait_for(lambda: query(cursor, bad_sql), [[len(bad), len(bad)]]) == [[len(bad), len(bad)]]
    reasons = query(cursor, f"SELECT reason FROM bad_events WHERE user_id = '{run}-bad-identify'")
    assert reasons[0][0].startswith("Segment identify messages are not stored")


@pytest.mark.skipif(EXTERNAL, reason="drives SDKs from this machine at the local API")
@pytest.mark.parametrize("sdk", ["segment-analytics-python", "rudder-sdk-python", "@segment/analytics-node"])
def test_sdk_messages_land_exactly_once_with_mapped_fields(trino_cursor, unique, tmp_path, sdk):
    run = f"sdk-{unique}"
    messages, expected = plan(run, 120)
    # A client-side resend of the first 5 messages (same messageId) must not double them.
    messages += [dict(m) for m in messages[:5]]
    if sdk == "@segment/analytics-node":
        errors = send_node(messages, tmp_path)
    else:
        errors = send_python("segment" if sdk.startswith("segment") else "rudder", messages)
    assert errors == []
    assert_lake_matches(trino_cursor, run, messages, expected)


@pytest.mark.disruptive
@pytest.mark.skipif(EXTERNAL, reason="restarts the local API")
def test_api_restart_while_an_sdk_flushes_loses_and_doubles_nothing(trino_cursor, unique):
    run = f"sdk-restart-{unique}"
    messages, expected = plan(run, 1500)
    paths = Paths.from_env()
    api = by_name(paths)["api"]

    window: list[datetime] = []

    def restart() -> None:
        time.sleep(2)
        window.append(datetime.now(UTC))
        supervisor.stop(paths, api)
        supervisor.start(paths, api)
        window.append(datetime.now(UTC))

    restarter = threading.Thread(target=restart)
    restarter.start()
    try:
        errors = send_python("segment", messages, pace_s=0.004)  # ~6 s of sending, the restart inside it
    finally:
        restarter.join()
    assert errors == []
    assert_lake_matches(trino_cursor, run, messages, expected)
    # The SDK was sending before the API stopped and went on after it was back (the restart fell inside).
    stopped, started = (w.strftime("%Y-%m-%d %H:%M:%S.%f") for w in window)
    around = query(
        trino_cursor,
        f"SELECT count_if(received_at < TIMESTAMP '{stopped} UTC'), count_if(received_at > TIMESTAMP '{started} UTC') "
        f"FROM all_events WHERE user_id LIKE '{run}-p%'",
    )
    assert around[0][0] > 0 and around[0][1] > 0, (around, window)
