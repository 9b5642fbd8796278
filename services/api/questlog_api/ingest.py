"""The ingest path shared by every event endpoint: read, validate, deliver, answer."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import orjson
from flask import Request
from gunicorn.http.errors import ChunkMissingTerminator, InvalidChunkSize
from questlog_core.validation import EventValidator

from questlog_api import metrics
from questlog_api.errors import ApiError, KafkaUnavailable, PayloadTooLarge, RequestTimeout, UnsupportedMediaType
from questlog_api.events import (
    BodyError,
    Outcome,
    RequestContext,
    TooManyEvents,
    dead_letter,
    parse_json,
    sort_events,
    unpack,
)
from questlog_api.producer import DurableProducer, Record
from questlog_api.settings import Settings

log = logging.getLogger(__name__)

_JSON_TYPES = ("application/json", "text/plain", "application/x-www-form-urlencoded", "")


class Ingestor:
    """Validate events and put them durably in Kafka; rejected input goes to the dead-letter topic."""

    def __init__(self, settings: Settings, validator: EventValidator, producer: DurableProducer) -> None:
        self.settings = settings
        self.validator = validator
        self.producer = producer
        envelope = validator.registry.envelope.properties
        # Limits of the server-set fields, from the envelope schema (the stream holds records to them).
        self.host_limit: int = envelope["host"]["maxLength"]
        self.user_agent_limit: int = envelope["user_agent"]["maxLength"]

    def refuse(self, ctx: RequestContext, reason: str, field_name: str | None = None) -> None:
        """Record a request the API cannot take (a dead letter), then answer 400 naming why."""
        self._deliver_dead_letters([dead_letter(ctx, reason, b"", 256, self.validator.dead_letter_limits, field_name)])
        raise ApiError(reason, field=field_name)

    def read_body(self, request: Request, ctx: RequestContext) -> bytes:
        """Read the body within the size limit, or refuse it (recording the refusal)."""
        limit = self.settings.max_body_bytes
        declared = request.content_length
        if declared is not None and declared > limit:
            body = b""
        else:
            try:
                body = request.stream.read(limit + 1)
            except (InvalidChunkSize, ChunkMissingTerminator) as exc:  # a client error, not a timeout
                reason = f"malformed chunked body: {exc}"
                self._deliver_dead_letters([dead_letter(ctx, reason, b"", 256, self.validator.dead_letter_limits)])
                raise ApiError(reason) from exc
            except OSError as exc:  # the worker's read deadline passed (slow client) or the client left
                reason = f"body not received in time: {exc}"
                self._deliver_dead_letters([dead_letter(ctx, reason, b"", 256, self.validator.dead_letter_limits)])
                raise RequestTimeout(reason) from exc
            if len(body) <= limit:
                return body
        size = declared if declared is not None else f"more than {limit}"
        reason = f"body of {size} bytes exceeds the limit of {limit} bytes"
        self._deliver_dead_letters([dead_letter(ctx, reason, body, 256, self.validator.dead_letter_limits)])
        raise PayloadTooLarge(reason, limit_bytes=limit)

    def check_content_type(self, request: Request, body: bytes, ctx: RequestContext) -> None:
        """Refuse bodies that declare a non-JSON media type (ab sends text/plain unless told)."""
        mimetype = request.mimetype or ""
        if mimetype in _JSON_TYPES or mimetype.endswith("+json"):
            return
        reason = f"Content-Type {mimetype!r} is not supported; send application/json"
        self._deliver_dead_letters(
            [dead_letter(ctx, reason, body, self.settings.dlq_raw_bytes, self.validator.dead_letter_limits)]
        )
        raise UnsupportedMediaType(reason)

    def parse(self, body: bytes, ctx: RequestContext, shape: Callable[[Any], list[Any]] | None = None) -> list[Any]:
        """Parse a body into a list of candidate events, recording bodies that are not JSON."""
        try:
            doc = parse_json(body) if body.strip() else None
            if shape is not None:
                return shape(doc)
            if doc is None:
                raise BodyError('body is empty; send a JSON event, an array or {"events": [...]}')
            return unpack(doc, self.settings.max_events)
        except BodyError as exc:
            self._deliver_dead_letters(
                [dead_letter(ctx, str(exc), body, self.settings.dlq_raw_bytes, self.validator.dead_letter_limits)]
            )
            if isinstance(exc, TooManyEvents):
                raise PayloadTooLarge(str(exc), limit_events=self.settings.max_events) from exc
            raise ApiError(str(exc)) from exc

    def ingest(self, events: list[Any], ctx: RequestContext) -> tuple[dict[str, Any], int]:
        """Validate, deliver and build the per-event response body and status."""
        outcome = sort_events(events, self.validator, ctx, self.settings.dlq_raw_bytes)
        self._deliver(outcome)
        for record in outcome.records:
            metrics.EVENTS_ACCEPTED.labels(record["event_type"]).inc()
        for bad in outcome.dead_letters:
            metrics.EVENTS_REJECTED.labels(bad["event_type"] or "unknown").inc()
        body = {
            "accepted": outcome.accepted,
            "rejected": outcome.rejected,
            "accepted_count": len(outcome.accepted),
            "rejected_count": len(outcome.rejected),
        }
        if outcome.rejected:
            log.info(
                "rejected %d of %d event(s): %s",
                len(outcome.rejected),
                len(events),
                outcome.rejected[0]["reason"],
            )
        return body, 202 if outcome.accepted else 400

    def _records(self, outcome: Outcome) -> list[Record]:
        records: list[Record] = [(self.settings.topic, r["user_id"].encode(), orjson.dumps(r)) for r in outcome.records]
        records += [(self.settings.dlq_topic, None, orjson.dumps(d)) for d in outcome.dead_letters]
        return records

    def _deliver(self, outcome: Outcome) -> None:
        started = time.perf_counter()
        errors = self.producer.send(self._records(outcome))
        metrics.PRODUCE_SECONDS.observe(time.perf_counter() - started)
        failed = [e for e in errors if e is not None]
        if not failed:
            return
        metrics.KAFKA_ERRORS.labels("delivery").inc(len(failed))
        n = len(outcome.records)
        delivered = [a for a, e in zip(outcome.accepted, errors[:n], strict=True) if e is None]
        refused = [a for a, e in zip(outcome.accepted, errors[:n], strict=True) if e is not None]
        log.error("kafka did not take %d of %d record(s): %s", len(failed), len(errors), failed[0])
        raise KafkaUnavailable(
            f"Kafka could not store the events durably ({failed[0]}); retry with the same event_ids",
            self.settings.retry_after_s,
            accepted=delivered,
            failed=refused,
            rejected=outcome.rejected,
        )

    def _deliver_dead_letters(self, dead_letters: list[dict[str, Any]]) -> None:
        metrics.EVENTS_REJECTED.labels("unknown").inc(len(dead_letters))
        self._deliver(Outcome(dead_letters=dead_letters))
