"""End-to-end freshness: from the API's acknowledgement to the row being visible in Trino."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from questlog_bench import load, stats
from questlog_bench.lake import Lake, visible_at
from questlog_bench.payloads import TABLES

log = logging.getLogger(__name__)


class SamplePoller:
    """Poll Trino once a second for a sample of acknowledged event ids; note when each first shows up."""

    def __init__(self, lake: Lake, where: str, every: int = 100, seed: int = 3) -> None:
        self.lake, self.where, self.every = lake, where, every
        self.rng = random.Random(seed)
        self.pending: dict[str, float] = {}
        self.delays: list[float] = []
        self.query_seconds: list[float] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="trino-poller", daemon=True)

    def offer(self, event_ids: list[str], acked: float) -> None:
        """Consider freshly acknowledged events for the sample (1 in `every`)."""
        with self._lock:
            for event_id in event_ids:
                if self.rng.randrange(self.every) == 0:
                    self.pending[event_id] = acked

    def start(self) -> None:
        """Start polling."""
        self._thread.start()

    def finish(self, timeout_s: float) -> None:
        """Keep polling until the sample is seen or the timeout passes, then stop."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                if not self.pending:
                    break
            time.sleep(0.5)
        self._stop.set()
        self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                ids = list(self.pending)[:500]
            if ids:
                began = time.time()
                try:
                    found = self.lake.seen(TABLES, self.where, ids)
                except Exception as exc:  # noqa: BLE001 - a failed poll is logged and retried, never fatal
                    log.warning("trino poll failed: %s", exc)
                    found = set()
                now = time.time()
                self.query_seconds.append(now - began)
                with self._lock:
                    for event_id in found:
                        self.delays.append(now - self.pending.pop(event_id))
            self._stop.wait(1.0)


def run_ours(
    lake: Lake,
    base_url: str,
    make: Callable[[], load.Request],
    requests_per_s: float,
    seconds: float,
    drain_s: float,
    user_prefix: str,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Drive our API at a steady rate, then measure when every acknowledged event became visible."""
    since = datetime.now(UTC)
    where = f"user_id LIKE '{user_prefix}%' AND landed_at >= TIMESTAMP '{since:%Y-%m-%d %H:%M:%S} UTC'"
    poller = SamplePoller(lake, where)
    poller.start()
    result = load.run(base_url, make, requests_per_s, seconds, on_ack=poller.offer, progress=progress)
    acked = len(result.acked)
    # Wait until every acknowledged event is in the lake (or the drain time is up).
    deadline, found = time.monotonic() + drain_s, 0
    while time.monotonic() < deadline:
        found = lake.count(TABLES, where)
        if found >= acked:
            break
        time.sleep(2)
    poller.finish(max(1.0, deadline - time.monotonic()))
    return {
        "user_prefix": user_prefix,
        "where": where,
        "offered_requests_per_s": requests_per_s,
        "seconds": seconds,
        "achieved_events_per_s": round(result.events_per_s, 1),
        "requests": result.requests,
        "failed_requests": result.failed_requests,
        "late_requests": result.late_requests,
        "errors": result.errors,
        "acknowledged_events": acked,
        "in_lake_after_drain": found,
        "drain_s": drain_s,
        "method": "per event: first Iceberg commit (table $snapshots.committed_at) at or after the row's landed_at, "
        "minus the client's time of the 2xx; computed at the end of the benchmark, so events that took longer "
        "than the drain time are measured too",
        "polled_sample_s": _rounded(stats.summary(poller.delays)),
        "polled_sample_unseen": len(poller.pending),
        "polled_sample_method": "1 in 100 acknowledged ids polled in Trino every second until the drain time ended; "
        "time the query answered with the id minus the time of the 2xx (includes up to ~1 s of poll interval "
        "plus query time); ids not seen by then are counted in polled_sample_unseen",
        "poll_query_s": _rounded(stats.summary(poller.query_seconds)),
        "_acked": result.acked,
        "_since": since,
    }


def finish(lake: Lake, run: dict[str, Any]) -> None:
    """At the end of the benchmark: when did each acknowledged event become visible, and is any missing?"""
    acked: dict[str, float] = run.pop("_acked")
    since: datetime = run.pop("_since")
    landed = lake.landed(TABLES, run["where"])
    commits = {t: lake.commits(t, since) for t in TABLES}
    delays, unseen = [], 0
    for event_id, acked_at in acked.items():
        row = landed.get(event_id)
        seen = visible_at(row[1], commits[row[0]]) if row else None
        if seen is None:
            unseen += 1
            continue
        delays.append(seen.timestamp() - acked_at)
    run["in_lake"] = len(landed)
    run["lost_events"] = unseen
    run["duplicates"] = lake.duplicates(TABLES, run["where"])
    run["freshness_s"] = _rounded(stats.summary(delays))


def _rounded(summary: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in summary.items()}
