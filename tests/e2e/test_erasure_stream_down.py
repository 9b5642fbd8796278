"""An erasure requested while the stream is down waits (the stream has not acknowledged it, so a batch
could still land the player) and completes once the stream is back."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

import pytest
import requests

from tests.e2e.conftest import API, EXTERNAL, HEADERS, wait_for
from tests.e2e.test_erasure import admin_headers, events_of
from tests.integration.conftest import query

pytestmark = [
    pytest.mark.disruptive,
    pytest.mark.slow,
    pytest.mark.skipif(EXTERNAL, reason="stops the local stack's stream"),
]


def stack(*args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "questlog_stack", *args], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr


def test_an_erasure_requested_while_the_stream_is_down_completes_when_it_is_back(trino_cursor, unique):
    player, other = f"erase-down-{unique}-{uuid.uuid4().hex}", f"erase-down-{unique}-other"
    body = events_of(player, 2) + events_of(other, 2)
    assert requests.post(f"{API}/v1/events", json=body, headers=HEADERS, timeout=30).status_code == 202
    sql = f"SELECT count(*) FROM purchase_weapon WHERE user_id IN ('{player}', '{other}')"
    assert wait_for(lambda: query(trino_cursor, sql)[0][0], 4) == 4

    stack("down", "stream")
    try:
        answer = requests.post(
            f"{API}/v1/admin/erasures", json={"user_id": player}, headers=admin_headers(), timeout=30
        )
        assert answer.status_code == 202, answer.text
        erasure = answer.json()["erasure_id"]
        # The API refuses the player at once, stream or no stream.
        refused = requests.post(f"{API}/v1/events", json=events_of(player, 1), headers=HEADERS, timeout=30)
        assert refused.status_code == 403, refused.text
        time.sleep(20)  # several passes of stream-maintenance
        status = requests.get(f"{API}/v1/admin/erasures/{erasure}", headers=admin_headers(), timeout=30).json()
        assert status["status"] == "accepted", status
        assert query(trino_cursor, f"SELECT count(*) FROM purchase_weapon WHERE user_id = '{player}'") == [[2]]
    finally:
        stack("up", "stream")

    def state() -> str:
        return requests.get(f"{API}/v1/admin/erasures/{erasure}", headers=admin_headers(), timeout=30).json()["status"]

    assert wait_for(state, "done", timeout_s=300) == "done"
    assert query(trino_cursor, f"SELECT count(*) FROM purchase_weapon WHERE user_id = '{player}'") == [[0]]
    assert query(trino_cursor, f"SELECT count(*) FROM purchase_weapon WHERE user_id = '{other}'") == [[2]]
