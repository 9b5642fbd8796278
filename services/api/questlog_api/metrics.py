"""Prometheus metrics of the API (multi-process aware under gunicorn)."""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUESTS = Counter("questlog_api_requests", "HTTP requests handled", ["endpoint", "status"])
EVENTS_ACCEPTED = Counter("questlog_api_events_accepted", "Events durably in Kafka", ["event_type"])
EVENTS_REJECTED = Counter("questlog_api_events_rejected", "Events refused as invalid", ["event_type"])
RATE_LIMITED = Counter("questlog_api_rate_limited", "Requests refused with 429 by the per-client limit", ["endpoint"])
KAFKA_ERRORS = Counter("questlog_api_kafka_errors", "Kafka delivery or client errors", ["kind"])
PRODUCE_SECONDS = Histogram(
    "questlog_api_produce_seconds",
    "Time from produce to broker acknowledgement for one request",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def render() -> tuple[bytes, str]:
    """Return the metrics page body and content type, summed over gunicorn workers if needed."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
