"""Report the stream's progress (rows/s, batch time, Kafka lag) to the log and a JSON file."""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Any

log = logging.getLogger(__name__)


def summarize(progress: dict[str, Any] | None, state: str) -> dict[str, Any]:
    """Reduce Spark's StreamingQueryProgress to what an operator watches."""
    summary: dict[str, Any] = {"state": state, "updated": time.time()}
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
    )
    return summary


def write(path: str, summary: dict[str, Any]) -> None:
    """Atomically replace the progress file."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(summary, f)
    os.replace(tmp, path)
