"""Steady load from the player simulator, recording what the API answered for every event_id."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import requests
from questlog_loadgen.client import ApiClient
from questlog_loadgen.plan import Batch, build_plan
from questlog_loadgen.settings import Settings

API = "http://127.0.0.1:5000"
# A simulated player sends at least this many events over two simulated days (47-55 measured on seed 7).
EVENTS_PER_PLAYER = 40


def simulator_batches(run_id: str, events: int, batch_size: int = 50, duplicate_rate: float = 0.01) -> list[Batch]:
    """Plan at least `events` valid events (by default 1% re-sent with the same event_id), nothing malformed."""
    settings = Settings(
        run_id=run_id,
        seed=7,
        players=max(10, events // EVENTS_PER_PLAYER + 1),
        days=2,
        malformed_rate=0.0,
        duplicate_rate=duplicate_rate,
        batch_size=batch_size,
        progress=False,
    )
    batches = list(build_plan(settings, datetime.now(UTC)).batches)
    planned = sum(len(b.events) for b in batches)
    assert planned >= events, f"plan has {planned} events, wanted {events}: lower EVENTS_PER_PLAYER"
    return batches


@dataclass
class Outcomes:
    """The client's record: per event_id, the best answer it got, and the requests' statuses."""

    sent: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)  # event_id -> (host, body)
    acked: set[str] = field(default_factory=set)
    refused: set[str] = field(default_factory=set)  # 503: the API said "not stored"
    no_answer: set[str] = field(default_factory=set)  # connection reset, timeout, 5xx other than 503
    rejected: set[str] = field(default_factory=set)  # 4xx for a valid event: a bug
    statuses: Counter[str] = field(default_factory=Counter)
    refusals_without_retry_after: int = 0
    first_failure: float | None = None  # time.monotonic()
    last_failure: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def unacknowledged(self) -> set[str]:
        """Return the event ids never acknowledged (to resend with the same ids)."""
        return set(self.sent) - self.acked

    def outcome_counts(self) -> dict[str, int]:
        """Count each event_id once, under its best answer (acknowledged beats refused beats no answer)."""
        acked = self.acked
        refused = self.refused - acked
        return {
            "sent": len(self.sent),
            "acknowledged": len(acked),
            "refused": len(refused),
            "no_answer": len(self.no_answer - acked - refused),
            "rejected": len(self.rejected - acked),
        }

    def record(self, events: list[dict[str, Any]], host: str, response: requests.Response | None) -> None:
        """Classify one POST's events by the answer."""
        ids = [e["event_id"] for e in events]
        with self.lock:
            for event_id, body in zip(ids, events, strict=True):
                self.sent.setdefault(event_id, (host, body))
            if response is None:
                self.statuses["no answer"] += 1
                self.no_answer.update(ids)
                self._failure()
                return
            self.statuses[str(response.status_code)] += 1
            try:
                body = orjson.loads(response.content)
            except orjson.JSONDecodeError:
                body = {}
            accepted = {ids[a["index"]] for a in body.get("accepted", [])} if isinstance(body, dict) else set()
            self.acked |= accepted
            if response.status_code == 503:
                self.refused.update(set(ids) - accepted)
                self.refusals_without_retry_after += "Retry-After" not in response.headers
                self._failure()
            elif response.status_code >= 500:
                self.no_answer.update(set(ids) - accepted)
                self._failure()
            elif response.status_code >= 400 or body.get("rejected"):
                self.rejected.update(ids[r["index"]] for r in body.get("rejected", []))

    def _failure(self) -> None:
        now = time.monotonic()
        self.first_failure = self.first_failure or now
        self.last_failure = now


class LoadDriver(threading.Thread):
    """Post the simulator's batches at a steady rate, once each (no retries), until stopped or done."""

    def __init__(self, batches: list[Batch], rate: float, api: str = API, timeout_s: float = 15.0) -> None:
        super().__init__(name="chaos-load", daemon=True)
        self.batches = batches
        self.rate = rate
        self.url = api + "/v1/events"
        self.timeout_s = timeout_s
        self.outcomes = Outcomes()
        self.halt = threading.Event()
        self.sent_events = 0
        self.exhausted = False

    def run(self) -> None:
        session = requests.Session()
        started = time.monotonic()
        for batch in self.batches:
            if self.halt.is_set():
                return
            events = [e.body for e in batch.events]
            try:
                response: requests.Response | None = session.post(
                    self.url,
                    data=orjson.dumps(events),
                    headers={"Content-Type": "application/json", "Host": batch.host},
                    timeout=self.timeout_s,
                )
            except (requests.ConnectionError, requests.Timeout):
                response = None
                session = requests.Session()
            self.outcomes.record(events, batch.host, response)
            self.sent_events += len(events)
            ahead = self.sent_events / self.rate - (time.monotonic() - started)
            if ahead > 0:
                self.halt.wait(ahead)
        self.exhausted = True

    def stop(self) -> Outcomes:
        """Stop sending; return the record."""
        self.halt.set()
        self.join(timeout=self.timeout_s + 10)
        assert not self.is_alive(), "load driver did not stop"
        return self.outcomes


def canary(run_id: str) -> dict[str, Any]:
    """Return one valid event of the run, to time end-to-end recovery with."""
    return {
        "event_type": "join_guild",
        "user_id": f"{run_id}-canary",
        "guild_name": "canaries",
        "event_id": str(uuid.uuid4()),
    }


def post_until_acknowledged(outcomes: Outcomes, event: dict[str, Any], timeout_s: float, api: str = API) -> float:
    """Post one event (same event_id each time) until acknowledged; return when that happened."""
    deadline = time.monotonic() + timeout_s
    with requests.Session() as session:
        while time.monotonic() < deadline:
            try:
                response: requests.Response | None = session.post(api + "/v1/events", json=event, timeout=10)
            except (requests.ConnectionError, requests.Timeout):
                response = None
            outcomes.record([event], "canary.example.net", response)
            if event["event_id"] in outcomes.acked:
                return time.monotonic()
            time.sleep(0.5)
    raise AssertionError(f"canary {event['event_id']} not acknowledged within {timeout_s:.0f}s")


def resend_unacknowledged(outcomes: Outcomes, api: str = API) -> int:
    """Resend every event never acknowledged, with its event_id, through the simulator's retrying client."""
    client = ApiClient(api, max_retries=8, max_retry_wait_s=5)
    missing = sorted(outcomes.unacknowledged())
    by_host: dict[str, list[dict[str, Any]]] = {}
    for event_id in missing:
        host, body = outcomes.sent[event_id]
        by_host.setdefault(host, []).append(body)
    for host, bodies in by_host.items():
        for start in range(0, len(bodies), 200):
            chunk = bodies[start : start + 200]
            reply = client.post(chunk, host)
            with outcomes.lock:
                outcomes.acked.update(chunk[i]["event_id"] for i in reply.accepted)
    return len(missing)
