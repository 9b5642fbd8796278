"""Report the stream's progress (rows/s, batch time, Kafka lag) to the log and a JSON file."""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Any

log = logging.getLogger(__name__)


def batches(recent: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Return the recent batches that had input: id, rows, duration and state size (for the benchmark)."""
    out = []
    for p in recent or []:
        if not p.get("numInputRows"):
            continue
        state = (p.get("stateOperators") or [{}])[0]
        out.append(
            {
                "batch_id": p.get("batchId"),
                "input_rows": p.get("numInputRows"),
                "duration_ms": (p.get("durationMs") or {}).get("triggerExecution", 0),
                "timestamp": p.get("timestamp"),
                "state_rows": state.get("numRowsTotal"),
            }
        )
    return out


def summarize(
    progress: dict[str, Any] | None, state: str, recent: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Reduce Spark's StreamingQueryProgress to what an operator watches."""
    summary: dict[str, Any] = {"state": state, "updated": time.time(), "recent_batches": batches(recent)}
    if not progress:
        return summary
    sources = progress.get("sources") or [{}]
    metrics = sources[0].get("metrics") or {}
    lag = metrics.get("maxOffsetsBehindLatest")
    summary.update(
        batch_id=progress.get("batchId"),
        input_rows=progress.get("numInputRows", 0),
        input_rows_per_second=progress.get("inputRowsPerSecond") or 0.0,
        processed_rows_per_second=progress.get("processedRowsPerSecond") or 0.0,
        batch_duration_ms=(progress.get("durationMs") or {}).get("triggerExecution", 0),
        lag=int(lag) if lag is not None else None,
        end_offset=sources[0].get("endOffset"),
        timestamp=progress.get("timestamp"),
        state_rows=((progress.get("stateOperators") or [{}])[0]).get("numRowsTotal"),
        state_memory_bytes=((progress.get("stateOperators") or [{}])[0]).get("memoryUsedBytes"),
    )
    return summary


def write(path: str, summary: dict[str, Any]) -> None:
    """Atomically replace the progress file."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(summary, f)
    os.replace(tmp, path)
