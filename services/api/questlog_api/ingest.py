"""The ingest path shared by every event endpoint: read, validate, deliver, answer."""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import Callable
from typing import Any

import orjson
from flask import Request
from gunicorn.http.errors import ChunkMissingTerminator, InvalidChunkSize
from questlog_core.validation import EventValidator

from questlog_api import metrics, segment
from questlog_api.erasures import Erasures
from questlog_api.errors import (
    ApiError,
    Forbidden,
    KafkaUnavailable,
    PayloadTooLarge,
    RequestTimeout,
    UnsupportedMediaType,
)
from questlog_api.events import (
    BodyError,
    Outcome,
    RequestContext,
    TooManyEvents,
    dead_letter,
    parse_json,
    sort_events,
    sort_mapped,
    unpack,
)
from questlog_api.producer import DurableProducer, Record
from questlog_api.settings import Settings

log = logging.getLogger(__name__)

_JSON_TYPES = ("application/json", "text/plain", "application/x-www-form-urlencoded", "")
_ENCODINGS = ("identity", "gzip", "x-gzip")
# Why events of a player whose erasure was requested are refused (403 when that is every event).
ERASED = "user_id is erased: an erasure of this player was requested, and their events are no longer recorded"


class Ingestor:
    """Validate events and put them durably in Kafka; rejected input goes to the dead-letter topic."""

    def __init__(
        self,
        settings: Settings,
        validator: EventValidator,
        producer: DurableProducer,
        erasures: Erasures | None = None,
    ) -> None:
        self.settings = settings
        self.validator = validator
        self.producer = producer
        self.erasures = erasures
        envelope = validator.registry.envelope.properties
        self.user_id_limit: int = envelope["user_id"]["maxLength"]
        # Limits of the server-set fields, from the envelope schema (the stream holds records to them).
        self.host_limit: int = envelope["host"]["maxLength"]
        self.user_agent_limit: int = envelope["user_agent"]["maxLength"]
        self.platforms = segment.check_contract(validator.registry)

    def refuse(self, ctx: RequestContext, reason: str, field_name: str | None = None) -> None:
        """Record a request the API cannot take (a dead letter), then answer 400 naming why."""
        self._record(ctx, reason, field_name=field_name)
        raise ApiError(reason, field=field_name)

    def read_body(self, request: Request, ctx: RequestContext) -> bytes:
        """Read the body within the size limit, or refuse it (recording the refusal); a gzip body
        (Content-Encoding: gzip) is inflated, and the limit holds for what it inflates to."""
        encoding = (request.headers.get("Content-Encoding") or "identity").strip().lower()
        if encoding not in _ENCODINGS:
            reason = f"Content-Encoding {encoding!r} is not supported; send gzip or an uncompressed body"
            self._record(ctx, reason)
            raise UnsupportedMediaType(reason)
        body = self._read_within_limit(request, ctx)
        return body if encoding == "identity" else self._inflate(body, ctx)

    def _inflate(self, body: bytes, ctx: RequestContext) -> bytes:
        limit = self.settings.max_body_bytes
        # Inflate at most limit + 1 bytes: a small bomb never gets to allocate what it would expand to.
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            out = inflater.decompress(body, limit + 1)
            complete = inflater.eof and not inflater.unconsumed_tail
        except zlib.error as exc:
            reason = f"body is not valid gzip: {exc}"
            self._record(ctx, reason, body)
            raise ApiError(reason) from exc
        if len(out) > limit:
            reason = f"gzip body inflates to more than the limit of {limit} bytes"
            self._record(ctx, reason)
            raise PayloadTooLarge(reason, limit_bytes=limit)
        if not complete or inflater.unused_data:
            reason = "body is not valid gzip: " + ("data after its gzip stream" if complete else "truncated stream")
            self._record(ctx, reason, body)
            raise ApiError(reason)
        return out

    def _read_within_limit(self, request: Request, ctx: RequestContext) -> bytes:
        limit = self.settings.max_body_bytes
        declared = request.content_length
        if declared is not None and declared > limit:
            body = b""
        else:
            try:
                body = request.stream.read(limit + 1)
            except (InvalidChunkSize, ChunkMissingTerminator) as exc:  # a client error, not a timeout
                reason = f"malformed chunked body: {exc}"
                self._record(ctx, reason)
                raise ApiError(reason) from exc
            except OSError as exc:  # the worker's read deadline passed (slow client) or the client left
                reason = f"body not received in time: {exc}"
                self._record(ctx, reason)
                raise RequestTimeout(reason) from exc
            if len(body) <= limit:
                return body
        size = declared if declared is not None else f"more than {limit}"
        reason = f"body of {size} bytes exceeds the limit of {limit} bytes"
        self._record(ctx, reason, body, raw_limit=256)
        raise PayloadTooLarge(reason, limit_bytes=limit)

    def check_content_type(self, request: Request, body: bytes, ctx: RequestContext) -> None:
        """Refuse bodies that declare a non-JSON media type (ab sends text/plain unless told)."""
        mimetype = request.mimetype or ""
        if mimetype in _JSON_TYPES or mimetype.endswith("+json"):
            return
        reason = f"Content-Type {mimetype!r} is not supported; send application/json"
        self._record(ctx, reason, body)
        raise UnsupportedMediaType(reason)

    def parse(
        self,
        body: bytes,
        ctx: RequestContext,
        shape: Callable[[Any], list[Any]] | None = None,
        redact: Callable[[bytes], bytes] | None = None,
    ) -> list[Any]:
        """Parse a body into a list of candidate events, recording bodies that are not JSON (after
        `redact`, which hides secrets a client puts in the body)."""
        try:
            doc = parse_json(body) if body.strip() else None
            if shape is not None:
                return shape(doc)
            if doc is None:
                raise BodyError('body is empty; send a JSON event, an array or {"events": [...]}')
            return unpack(doc, self.settings.max_events)
        except BodyError as exc:
            raw = redact(body) if redact is not None else body
            self._record(ctx, str(exc), raw)
            if isinstance(exc, TooManyEvents):
                raise PayloadTooLarge(str(exc), limit_events=self.settings.max_events) from exc
            raise ApiError(str(exc)) from exc

    def ingest(self, events: list[Any], ctx: RequestContext) -> tuple[dict[str, Any], int]:
        """Validate, deliver and build the per-event response body and status."""
        outcome = sort_events(events, self.validator, ctx, self.settings.dlq_raw_bytes)
        erased = self._suppress(outcome)
        self._deliver_counted(outcome)
        if erased and not outcome.accepted and len(outcome.rejected) == erased:
            raise Forbidden(ERASED, rejected=outcome.rejected)
        body = {
            "accepted": outcome.accepted,
            "rejected": outcome.rejected,
            "accepted_count": len(outcome.accepted),
            "rejected_count": len(outcome.rejected),
        }
        _log_rejected(outcome, len(events), "event(s)")
        return body, 202 if outcome.accepted else 400

    def ingest_segment(self, messages: list[Any], ctx: RequestContext) -> tuple[dict[str, Any], int]:
        """Map Segment messages onto events, then as `ingest`. Answers 200 (SDKs count only 200 as
        delivered, RudderStack's Python SDK exactly 200), 400 when no track message was usable."""
        mapped = [segment.to_event(m, self.platforms, self.user_agent_limit) for m in messages]
        outcome = sort_mapped(mapped, self.validator, ctx, self.settings.dlq_raw_bytes)
        erased = self._suppress(outcome)
        self._deliver_counted(outcome)
        if erased and not outcome.accepted and len(outcome.rejected) == erased:
            raise Forbidden(ERASED, rejected=outcome.rejected)
        ok = bool(outcome.accepted) or not outcome.rejected
        body: dict[str, Any] = {
            "success": ok,
            "accepted": outcome.accepted,
            "rejected": outcome.rejected,
            "skipped": outcome.skipped,
            "accepted_count": len(outcome.accepted),
            "rejected_count": len(outcome.rejected),
            "skipped_count": len(outcome.skipped),
        }
        if not ok:
            # RudderStack's SDK gives up on a 4xx only when the body has `code` and `message`.
            body |= {"error": "invalid_messages", "code": "invalid_messages", "message": outcome.rejected[0]["reason"]}
        _log_rejected(outcome, len(messages), "Segment message(s)")
        return body, 200 if ok else 400

    def _suppress(self, outcome: Outcome) -> int:
        """Refuse the events of erased players: out of the records, and out of the dead letters too
        (their bodies are the player's data); return how many events of erased players there were."""
        if self.erasures is None or not self.erasures.any():
            return 0
        erased = self.erasures.erased
        kept = [(r, a) for r, a in zip(outcome.records, outcome.accepted, strict=True) if not erased(r["user_id"])]
        refused = [
            {"index": a["index"], "field": "user_id", "reason": ERASED}
            for r, a in zip(outcome.records, outcome.accepted, strict=True)
            if erased(r["user_id"])
        ]
        letters = [d for d in outcome.dead_letters if not erased(d.get("user_id"))]
        dropped = len(outcome.dead_letters) - len(letters)
        if not refused and not dropped:
            return 0
        outcome.records, outcome.accepted = [r for r, _ in kept], [a for _, a in kept]
        outcome.dead_letters = letters
        if refused:
            outcome.rejected = sorted(outcome.rejected + refused, key=lambda r: r["index"])
        metrics.EVENTS_REJECTED.labels("erased_user").inc(len(refused) + dropped)
        log.info("refused %d event(s) of erased players (%d dead letter(s) not written)", len(refused), dropped)
        return len(refused) + dropped

    def _deliver_counted(self, outcome: Outcome) -> None:
        self._deliver(outcome)
        for record in outcome.records:
            metrics.EVENTS_ACCEPTED.labels(record["event_type"]).inc()
        for bad in outcome.dead_letters:
            metrics.EVENTS_REJECTED.labels(bad["event_type"] or "unknown").inc()

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

    def _record(
        self,
        ctx: RequestContext,
        reason: str,
        raw: Any = b"",
        raw_limit: int | None = None,
        field_name: str | None = None,
    ) -> None:
        """Record refused input as one dead letter, `raw` cut to raw_limit (default: the DLQ's raw size)."""
        limit = self.settings.dlq_raw_bytes if raw_limit is None else raw_limit
        self._deliver_dead_letters(
            [dead_letter(ctx, reason, raw, limit, self.validator.dead_letter_limits, field_name)]
        )

    def _deliver_dead_letters(self, dead_letters: list[dict[str, Any]]) -> None:
        metrics.EVENTS_REJECTED.labels("unknown").inc(len(dead_letters))
        self._deliver(Outcome(dead_letters=dead_letters))


def _log_rejected(outcome: Outcome, total: int, what: str) -> None:
    if outcome.rejected:
        log.info("rejected %d of %d %s: %s", len(outcome.rejected), total, what, outcome.rejected[0]["reason"])
