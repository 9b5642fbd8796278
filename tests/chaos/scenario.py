"""One fault-injection scenario: load before, during and after the fault, then the lake judged per event_id."""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

from questlog_stack import supervisor
from questlog_stack.paths import Paths
from questlog_stack.services import by_name

from tests.chaos.lake import compare, wait_landed, wait_visible
from tests.chaos.load import LoadDriver, canary, post_until_acknowledged, resend_unacknowledged, simulator_batches
from tests.chaos.results import Results

PATHS = Paths.from_env()
SERVICES = by_name(PATHS)
# Events per second the simulator sends during a scenario (the 2-core machine runs four stacks).
RATE = float(os.environ.get("QUESTLOG_CHAOS_RATE", "100"))
# How long the lake may take to catch up once the fault is over.
CATCH_UP_S = 300.0


class Scenario:
    """Run load, let the test inject faults, then count sent/acknowledged/refused/landed per event_id."""

    def __init__(self, name: str, cursor: Any, max_seconds: float, rate: float = RATE) -> None:
        self.name = name
        self.cursor = cursor
        self.run_id = f"chaos-{name}-{uuid.uuid4().hex[:6]}"
        self.driver = LoadDriver(simulator_batches(self.run_id, int(rate * max_seconds)), rate)
        self.recoveries: list[float] = []
        self.extra: dict[str, Any] = {}

    def __enter__(self) -> Scenario:
        self.driver.start()
        time.sleep(5)  # steady load before the first fault
        return self

    def __exit__(self, *exc: object) -> None:
        if self.driver.is_alive():
            self.driver.stop()

    def recovered(self, since: float, timeout_s: float = 420.0) -> float:
        """Post a canary until acknowledged and wait until the lake shows it; return seconds since `since`."""
        event = canary(self.run_id)
        post_until_acknowledged(self.driver.outcomes, event, timeout_s)
        seconds = wait_visible(self.cursor, self.run_id, event["event_id"], timeout_s) - since
        self.recoveries.append(round(seconds, 1))
        return seconds

    def finish(self, results: Results) -> dict[str, Any]:
        """Stop the load, judge the lake, resend what was never acknowledged, judge again; record the row."""
        time.sleep(5)  # steady load after recovery too
        outcomes = self.driver.stop()
        assert not self.driver.exhausted, "the simulator's plan ran out before the scenario ended"
        first = compare(outcomes, wait_landed(self.cursor, self.run_id, set(outcomes.acked), CATCH_UP_S))
        resent = resend_unacknowledged(outcomes)
        final = compare(outcomes, wait_landed(self.cursor, self.run_id, set(outcomes.sent), CATCH_UP_S))
        outage = (
            round(outcomes.last_failure - outcomes.first_failure, 1)
            if outcomes.first_failure and outcomes.last_failure
            else 0.0
        )
        row = {
            "scenario": self.name,
            "run_id": self.run_id,
            **first,
            "resent": resent,
            "missing_after_resend": final["sent"] - final["landed"],
            "duplicates_after_resend": final["duplicates"],
            "unacknowledged_after_resend": len(outcomes.unacknowledged()),
            "recovery_s": max(self.recoveries) if self.recoveries else None,
            "recoveries_s": self.recoveries,
            "api_outage_s": outage,
            "statuses": dict(outcomes.statuses),
            "refusals_without_retry_after": outcomes.refusals_without_retry_after,
            **self.extra,
        }
        results.add(row)
        return row


def assert_exact(row: dict[str, Any]) -> None:
    """Nothing acknowledged lost, nothing doubled, nothing invented; resent events land once too."""
    problems = {
        k: row[k]
        for k in (
            "lost",
            "duplicates",
            "unexpected",
            "rejected",
            "missing_after_resend",
            "duplicates_after_resend",
            "unacknowledged_after_resend",
        )
        if row[k]
    }
    assert not problems, f"{row['scenario']}: {problems} (full row: {row})"
    assert row["refusals_without_retry_after"] == 0, row


def wait_new_pid(name: str, old: int | None, timeout_s: float = 300.0) -> int:
    """Wait until a service runs under a pid other than `old` (restarted by the watcher)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        pid = supervisor.read_pid(PATHS, name)
        if pid is not None and pid != old:
            return pid
        time.sleep(0.5)
    raise AssertionError(f"{name} was not restarted within {timeout_s:.0f}s (is the watcher running?)")
