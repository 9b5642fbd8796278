"""Per-client rate limit: the GCRA table itself, then a real 2-worker gunicorn API where the limit holds
across workers, answers 429 with Retry-After, is counted, and cannot be dodged with X-Forwarded-For."""

from __future__ import annotations

import multiprocessing
import os
import uuid

import pytest
import requests
from questlog_api.ratelimit import RateLimiter
from questlog_api.settings import Settings, SettingsError

from tests.security.conftest import WEAPON, ApiServer


def test_burst_then_steady_rate():
    limiter = RateLimiter(limit=10, period_s=10, burst=3, slots=64)
    t = 1000.0
    assert [limiter.hit("a", t).allowed for _ in range(4)] == [True, True, True, False]
    refused = limiter.hit("a", t)
    assert not refused.allowed and refused.retry_after_s == pytest.approx(1.0)
    assert limiter.hit("b", t).allowed, "another client has its own budget"
    assert limiter.hit("a", t + 1.0).allowed and not limiter.hit("a", t + 1.0).allowed
    assert [limiter.hit("a", t + 100).allowed for _ in range(4)] == [True, True, True, False]


def test_a_full_table_never_throttles_a_new_client():
    limiter = RateLimiter(limit=1, period_s=3600, burst=1, slots=64)
    for i in range(1000):  # far more busy clients than slots
        assert limiter.hit(f"client-{i}", 5.0).allowed
    assert limiter.hit("late-comer", 5.0).allowed


def test_a_time_from_before_a_reboot_is_not_trusted(tmp_path):
    path = str(tmp_path / "table")
    RateLimiter(limit=1, period_s=60, burst=1, slots=64, path=path).hit("a", now=1e9)
    limiter = RateLimiter(limit=1, period_s=60, burst=1, slots=64, path=path)
    assert limiter.hit("a", now=10.0).allowed, "a TAT far in the future (monotonic clock reset) is stale"


def _hammer(path: str, n: int, queue) -> None:
    limiter = RateLimiter(limit=50, period_s=3600, burst=50, slots=256, path=path)
    queue.put(sum(limiter.hit("shared-client").allowed for _ in range(n)))


def test_processes_sharing_the_file_share_the_limit(tmp_path):
    path = str(tmp_path / "table")
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    workers = [ctx.Process(target=_hammer, args=(path, 40, queue)) for _ in range(4)]
    for w in workers:
        w.start()
    allowed = sum(queue.get(timeout=60) for _ in workers)
    for w in workers:
        w.join(timeout=30)
    assert allowed == 50, "160 requests from 4 processes, 50 allowed in all"
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"


def test_settings_are_checked_at_start():
    env = {"QUESTLOG_API_RATE_LIMIT": "100", "QUESTLOG_API_RATE_LIMIT_PERIOD_S": "60"}
    settings = Settings.from_env(env)
    assert (settings.rate_limit, settings.rate_limit_period_s, settings.rate_limit_burst) == (100, 60, 100)
    assert Settings.from_env({}).rate_limit == 0, "off by default"
    for name, value in [
        ("RATE_LIMIT", "-1"),
        ("RATE_LIMIT_PERIOD_S", "0"),
        ("RATE_LIMIT_SLOTS", "3"),
        ("PROXY_HOPS", "x"),
    ]:
        with pytest.raises(SettingsError, match=f"QUESTLOG_API_{name}"):
            Settings.from_env({"QUESTLOG_API_RATE_LIMIT": "5", f"QUESTLOG_API_{name}": value})


@pytest.fixture(scope="module")
def limited_api(start_api) -> ApiServer:
    return start_api(
        QUESTLOG_API_RATE_LIMIT="20", QUESTLOG_API_RATE_LIMIT_PERIOD_S="3600", QUESTLOG_API_ACCESS_LOG="false"
    )


def _post(api: ApiServer, headers: dict[str, str] | None = None) -> requests.Response:
    # A new connection per request, so gunicorn spreads them over both workers.
    headers = {"Connection": "close", **(headers or {})}
    return requests.post(f"{api.url}/v1/events", json={**WEAPON, "user_id": "rl"}, headers=headers, timeout=30)


@pytest.mark.integration
def test_limit_holds_across_workers_and_answers_429(limited_api: ApiServer):
    codes = [_post(limited_api).status_code for _ in range(30)]
    assert codes == [202] * 20 + [429] * 10, codes  # per-worker limits would have let up to 40 through
    refused = _post(limited_api)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 180
    body = refused.json()
    assert body["error"] == "rate_limited" and body["retry_after_s"] == int(refused.headers["Retry-After"])
    assert "more than 20 requests in 3600 s" in body["message"]
    # Spoofed X-Forwarded-For does not make a new client (the API trusts no proxy by default).
    assert _post(limited_api, {"X-Forwarded-For": f"10.{uuid.uuid4().int % 250}.0.1"}).status_code == 429
    # Probes stay open to a throttled client.
    assert requests.get(f"{limited_api.url}/readyz", timeout=10).status_code == 200
    metrics = requests.get(f"{limited_api.url}/metrics", timeout=10).text
    assert 'questlog_api_rate_limited_total{endpoint="/v1/events"} 12.0' in metrics
    assert 'questlog_api_requests_total{endpoint="/v1/events",status="429"} 12.0' in metrics
    # Exactly the 20 allowed events were stored; throttled requests are not events, nor dead letters.
    assert len(limited_api.events(20)) == 20
    assert limited_api.dead_letters(0, timeout_s=10) == []


@pytest.mark.integration
def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_budget(start_api):
    api = start_api(
        QUESTLOG_API_RATE_LIMIT="2",
        QUESTLOG_API_RATE_LIMIT_PERIOD_S="3600",
        QUESTLOG_API_PROXY_HOPS="1",
        QUESTLOG_API_ACCESS_LOG="false",
    )
    # The proxy appends the address it saw; whatever the client put before it is ignored.
    alice = {"X-Forwarded-For": "203.0.113.7"}
    assert [_post(api, alice).status_code for _ in range(3)] == [202, 202, 429]
    assert _post(api, {"X-Forwarded-For": "203.0.113.8"}).status_code == 202
    assert _post(api, {"X-Forwarded-For": "198.51.100.1, 203.0.113.7"}).status_code == 429
