"""API keys: 401 without or with a wrong key, nothing recorded as an event, keys never in the log."""

from __future__ import annotations

import hmac
import uuid

import pytest
import requests
from questlog_api import auth

from tests.security.conftest import WEAPON, ApiServer

KEYS = (f"sk-{uuid.uuid4().hex}", f"sk-{uuid.uuid4().hex}")


@pytest.fixture(scope="module")
def keyed_api(start_api) -> ApiServer:
    return start_api(QUESTLOG_API_AUTH_ENABLED="true", QUESTLOG_API_KEYS=",".join(KEYS), QUESTLOG_API_LOG_LEVEL="DEBUG")


@pytest.mark.integration
def test_requests_without_a_valid_key_are_401_and_not_recorded(keyed_api: ApiServer):
    wrong = [None, "", KEYS[0][:-1], KEYS[0] + "x", KEYS[0].upper(), f"{KEYS[0]},{KEYS[1]}", "ünï", KEYS[0] + " x"]
    for key in wrong:
        headers = {} if key is None else {"X-Api-Key": key.encode("utf-8")}
        track = {"type": "track", "event": "join_guild", "userId": "u", "properties": {"guild_name": "g"}}
        for path, body in [
            ("/v1/events", WEAPON),
            ("/join_a_guild", {"guild_name": "g"}),
            ("/v1/batch", {"batch": [track]}),
        ]:
            # As X-Api-Key, and as an SDK's write key (the user of HTTP basic auth).
            auth = None if key is None else (key.encode("utf-8"), b"")
            for sent in ({"headers": headers}, {"auth": auth}):
                response = requests.post(f"{keyed_api.url}{path}", json=body, timeout=30, **sent)
                assert response.status_code == 401, (key, path, response.text)
                assert response.json() == {
                    "error": "unauthorized",
                    "code": "unauthorized",
                    "message": "missing or invalid X-Api-Key header (or write key as the HTTP basic auth user)",
                }
        assert requests.get(f"{keyed_api.url}/", headers=headers, timeout=30).status_code == 401
        # Garbage from an unauthenticated client is refused before it is read: no dead letter either.
        assert requests.post(f"{keyed_api.url}/v1/events", data=b"\xff", headers=headers, timeout=30).status_code == 401
    for open_path in ("/healthz", "/readyz", "/metrics", "/openapi.json"):
        assert requests.get(f"{keyed_api.url}{open_path}", timeout=30).status_code == 200
    assert keyed_api.events(0, timeout_s=10) == []
    assert keyed_api.dead_letters(0, timeout_s=10) == []
    for key in KEYS:
        response = requests.post(f"{keyed_api.url}/v1/events", json=WEAPON, headers={"X-Api-Key": key}, timeout=30)
        assert response.status_code == 202, response.text
    track = {"type": "track", "event": "join_guild", "userId": "u", "properties": {"guild_name": "g"}}
    response = requests.post(f"{keyed_api.url}/v1/batch", json={"batch": [track]}, auth=(KEYS[1], ""), timeout=30)
    assert response.status_code == 200, response.text
    assert len(keyed_api.events(3)) == 3
    metrics = requests.get(f"{keyed_api.url}/metrics", timeout=30).text
    assert 'questlog_api_requests_total{endpoint="/v1/events",status="401"}' in metrics


@pytest.mark.integration
def test_keys_never_appear_in_the_log(keyed_api: ApiServer):
    # Requests with valid, wrong and near-miss keys, and a bad body: the log (DEBUG) names none of them.
    for key in (*KEYS, KEYS[1][:-2]):
        requests.post(f"{keyed_api.url}/v1/events", data=b"{bad", headers={"X-Api-Key": key}, timeout=30)
        requests.post(f"{keyed_api.url}/v1/events", json=WEAPON, headers={"X-Api-Key": key}, timeout=30)
    log = keyed_api.log()
    assert '"msg":"request"' in log and "X-Api-Key" not in log.replace("invalid X-Api-Key header", "")
    for key in KEYS:
        assert key not in log and key[3:] not in log
    assert KEYS[1][:-2] not in log


def test_every_key_is_compared_whatever_matches(monkeypatch):
    """Constant time: one equal-length digest comparison per configured key, match or no match."""
    calls: list[tuple[int, int]] = []
    real = hmac.compare_digest

    def counting(a, b):
        calls.append((len(a), len(b)))
        return real(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", counting)
    keys = ("k" * 5, "key-two-is-much-longer", "k3")
    for presented in (None, "", "k" * 5, "k3", "nope", "x" * 1000):
        calls.clear()
        auth.key_matches(presented, keys)
        assert len(calls) == len(keys), presented
        assert all(a == b == 32 for a, b in calls), "digests hide the keys' lengths"
    assert auth.key_matches("k3", keys) and not auth.key_matches("k4", keys) and not auth.key_matches(None, keys)
