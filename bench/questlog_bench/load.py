"""A steady, paced HTTP load that records when each event was acknowledged (client clock)."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import orjson
import requests
from questlog_core.registry import default_registry

from questlog_bench.payloads import client_event, corpus

# (url path, body, headers, event ids it carries)
Request = tuple[str, bytes, dict[str, str], list[str]]


@dataclass
class LoadResult:
    """Acknowledged events with their ack times, and what went wrong."""

    acked: dict[str, float] = field(default_factory=dict)  # event_id -> time.time() of the 2xx
    requests: int = 0
    failed_requests: int = 0
    errors: list[str] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0
    late_requests: int = 0  # sent behind schedule (the client or server could not keep the pace)

    @property
    def events_per_s(self) -> float:
        """Acknowledged events per second of load."""
        return len(self.acked) / (self.ended - self.started) if self.ended > self.started else 0.0


def batch_requests(user_prefix: str, size: int, seed: int) -> Callable[[], Request]:
    """Build POST /v1/events bodies of `size` events, each with a client event_id."""
    rng, items = random.Random(seed), corpus()

    def make() -> Request:
        events = [client_event(rng, items, user_prefix) for _ in range(size)]
        return "/v1/events", orjson.dumps({"events": events}), {}, [str(e["event_id"]) for e in events]

    return make


def single_requests(user_prefix: str, seed: int) -> Callable[[], Request]:
    """Build seed-style single-event requests (POST /purchase_a_weapon ...) with an event_id in the body."""
    rng, items = random.Random(seed), corpus()
    endpoints = {event_type: route for route, event_type in default_registry().seed_routes.items()}

    def make() -> Request:
        event = client_event(rng, items, user_prefix)
        path = endpoints[str(event.pop("event_type"))]
        return path, orjson.dumps(event), {}, [str(event["event_id"])]

    return make


def run(
    base_url: str,
    make: Callable[[], Request],
    requests_per_s: float,
    seconds: float,
    threads: int = 16,
    on_ack: Callable[[list[str], float], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> LoadResult:
    """Send requests at a fixed pace from several threads for a fixed time; 2xx means acknowledged."""
    result = LoadResult()
    lock = threading.Lock()
    interval = threads / requests_per_s
    result.started = time.time()
    deadline = time.monotonic() + seconds

    def worker(offset: float) -> None:
        session = requests.Session()
        session.headers["Content-Type"] = "application/json"
        next_at = time.monotonic() + offset
        while next_at < deadline:
            pause = next_at - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            late = pause < -interval
            with lock:
                path, body, headers, ids = make()
            try:
                response = session.post(base_url + path, data=body, headers=headers, timeout=30)
                ok, why = 200 <= response.status_code < 300, f"HTTP {response.status_code}"
            except requests.RequestException as exc:
                ok, why = False, f"{type(exc).__name__}: {exc}"
            now = time.time()
            with lock:
                result.requests += 1
                result.late_requests += late
                if ok:
                    for event_id in ids:
                        result.acked[event_id] = now
                else:
                    result.failed_requests += 1
                    if len(result.errors) < 5:
                        result.errors.append(why)
            if ok and on_ack is not None:
                on_ack(ids, now)
            if progress is not None:
                progress(len(ids))
            # Fixed schedule: a late request does not shift the next ones (no coordinated omission).
            next_at += interval

    pool = [threading.Thread(target=worker, args=(i * interval / threads,), daemon=True) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=seconds + 60)
    result.ended = time.time()
    return result
