"""What a run left in the lake, per event_id, read through Trino."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from questlog_core.registry import default_registry

from tests.chaos.load import Outcomes
from tests.integration.conftest import query


def landed(cursor: Any, run_id: str) -> Counter[str]:
    """Return rows per event_id of the run's players, over every event table."""
    union = " UNION ALL ".join(
        f"SELECT event_id FROM {t} WHERE user_id LIKE '{run_id}-%'" for t in default_registry().event_tables
    )
    return Counter({row[0]: row[1] for row in query(cursor, f"SELECT event_id, count(*) FROM ({union}) GROUP BY 1")})


def wait_landed(cursor: Any, run_id: str, expected: set[str], timeout_s: float) -> Counter[str]:
    """Poll until every expected event_id is in the lake or the time is up; return the last look."""
    deadline = time.monotonic() + timeout_s
    rows = landed(cursor, run_id)
    while not expected <= rows.keys() and time.monotonic() < deadline:
        time.sleep(3)
        rows = landed(cursor, run_id)
    return rows


def wait_visible(cursor: Any, run_id: str, event_id: str, timeout_s: float) -> float:
    """Return the time.monotonic() at which one event became visible in the lake."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if event_id in landed(cursor, run_id):
            return time.monotonic()
        time.sleep(1)
    raise AssertionError(f"event {event_id} not visible in the lake within {timeout_s:.0f}s")


def compare(outcomes: Outcomes, rows: Counter[str]) -> dict[str, int]:
    """Judge the lake against the client's record (see docs/reliability.md for the rule)."""
    counts = outcomes.outcome_counts()
    acked = outcomes.acked
    refused = outcomes.refused - acked
    unanswered = set(outcomes.sent) - acked - refused
    return {
        **counts,
        "landed": len(rows),
        "duplicates": sum(n - 1 for n in rows.values()),
        "lost": len(acked - rows.keys()),
        "refused_but_landed": len(refused & rows.keys()),
        "no_answer_but_landed": len(unanswered & rows.keys()),
        "unexpected": len(rows.keys() - outcomes.sent.keys()),
    }
