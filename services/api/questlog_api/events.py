"""Turn a request body into validated, enriched events and dead-letter records."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from questlog_core.validation import EventValidator, Rejection, format_rfc3339, parse_rfc3339


@dataclass(frozen=True)
class RequestContext:
    """What the API knows about the request besides its body."""

    received_at: datetime
    host: str | None
    user_agent: str | None
    endpoint: str
    request_id: str


@dataclass
class Outcome:
    """Per-event results of one request, in the order the events came."""

    accepted: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    dead_letters: list[dict[str, Any]] = field(default_factory=list)
    # Input kept as dead letters because questlog does not store its kind (Segment identify, page, ...).
    skipped: list[dict[str, Any]] = field(default_factory=list)


TRUNCATED = "…[truncated]"


def server_text(value: str | None, limit: int) -> str | None:
    """Fit a server-set text field (User-Agent, Host) to its schema limit: cut, ending in TRUNCATED."""
    if value is None or len(value) <= limit:
        return value
    return value[: limit - len(TRUNCATED)] + TRUNCATED


_HOST_LABEL = 63
# WSGI environ keys set by the app's Host guard: the Host header as sent (when it was replaced so
# werkzeug can route) and why it cannot be recorded (None when it can).
HOST_SENT = "questlog.host_sent"
HOST_PROBLEM = "questlog.host_problem"


def host_problem(host: str | None, limit: int) -> str | None:
    """Why a Host header cannot be recorded as sent, or None. Duplicate Host headers reach the app
    joined by commas (RFC 9112 says to answer those with 400); labels over 63 characters are not a
    DNS name (and werkzeug cannot route them)."""
    if host is None:
        return None
    if "," in host:
        return "more than one Host header (or a comma in Host)"
    if len(host) > limit:
        return f"Host header of {len(host)} characters; the limit is {limit}"
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    if any(len(label) > _HOST_LABEL for label in name.split(".")):
        return f"Host header has a label over {_HOST_LABEL} characters"
    try:
        name.encode("idna")
    except UnicodeError:
        return "Host header is not a valid host name"
    return None


_DLQ_NAMESPACE = uuid.UUID("6f1d8c2e-5b7a-4e0c-9a51-2d3f4b6c7e80")


class BodyError(ValueError):
    """The body is not a JSON event, list of events or {"events": [...]}."""


class TooManyEvents(BodyError):
    """The body carries more events than one request may."""


def parse_json(body: bytes) -> Any:
    """Parse a JSON body; NaN, Infinity and integers beyond 64 bits are read, then refused by schema."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        pass
    try:
        doc = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise BodyError(f"body is not valid JSON: {exc}") from exc
    # The stdlib reads "\ud800" escapes that no UTF-8 text can hold (orjson, Kafka and Spark refuse them).
    if _has_lone_surrogate(doc):
        raise BodyError("body is not valid JSON: a string holds an unpaired UTF-16 surrogate escape")
    return doc


def _has_lone_surrogate(doc: Any) -> bool:
    stack = [doc]  # iterative: the document may nest as deep as the parser allowed
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return True
    return False


def unpack(doc: Any, max_events: int) -> list[Any]:
    """Return the events a body carries: one object, a list, or {"events": [...]}."""
    if isinstance(doc, dict) and set(doc) == {"events"}:
        doc = doc["events"]
        if not isinstance(doc, list):
            raise BodyError('"events" must be a JSON array of event objects')
    events = doc if isinstance(doc, list) else [doc]
    if not events:
        raise BodyError("no events in body")
    if len(events) > max_events:
        raise TooManyEvents(f"{len(events)} events in one request; the limit is {max_events}")
    return events


def _text(value: Any, limit: int) -> tuple[str, bool]:
    raw = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    if not isinstance(raw, str):
        try:
            # The stdlib keeps what orjson cannot: integers beyond 64 bits, NaN and Infinity as sent.
            raw = json.dumps(raw, default=str, ensure_ascii=False)
        except RecursionError:
            # orjson parses up to 1024 levels, more than the stdlib encoder can write back.
            raw = f"<{type(raw).__name__} nested too deep to write back as JSON>"
    return (raw[:limit], True) if len(raw) > limit else (raw, False)


def _claimed(event: Any, name: str, limits: Mapping[str, int]) -> str | None:
    value = event.get(name) if isinstance(event, dict) else None
    return value[: limits[name]] if isinstance(value, str) else None


def dead_letter(
    ctx: RequestContext,
    reason: str,
    raw: Any,
    raw_limit: int,
    limits: Mapping[str, int],
    field_name: str | None = None,
    event: Any = None,
) -> dict[str, Any]:
    """Build the dead-letter record of rejected input (schema bad_event; `limits`: its maxLengths)."""
    text, truncated = _text(raw, raw_limit)
    # Same input, same reason, same endpoint: same id, so a client's retry is recorded once.
    dlq_id = uuid.uuid5(_DLQ_NAMESPACE, f"{ctx.endpoint}\n{reason}\n{text}")
    return {
        "dlq_id": str(dlq_id),
        "reason": reason[: limits["reason"]],
        "field": server_text(field_name, limits["field"]),
        "event_type": _claimed(event, "event_type", limits),
        "event_id": _claimed(event, "event_id", limits),
        "user_id": _claimed(event, "user_id", limits),
        "raw": text,
        "raw_truncated": truncated,
        "received_at": format_rfc3339(ctx.received_at),
        "host": ctx.host,
        "user_agent": ctx.user_agent,
        "endpoint": ctx.endpoint,
    }


def new_event_id() -> str:
    """Return a random (version 4) UUID string; same as str(uuid.uuid4()), without the UUID object."""
    # Profiled: uuid4() + str() was ~9% of the API's CPU on 100-event batches.
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


_VARIANT = "89ab"


def enrich(
    event: dict[str, Any],
    ctx: RequestContext,
    schema_version: str,
    received: str | None = None,
    user_agent: str | None = None,
) -> dict[str, Any]:
    """Return the stored form of a valid event: ids and times normalised, server fields added."""
    # JSON Schema counts 10.0 and 1e5 as integers; the lake's bigint columns read only integer literals.
    record = {k: int(v) if type(v) is float and v.is_integer() else v for k, v in event.items()}
    record["event_id"] = str(uuid.UUID(event["event_id"])) if "event_id" in event else new_event_id()
    # The receive time is the same for every event of a request: callers pass it rendered once.
    received = received or format_rfc3339(ctx.received_at)
    record["event_ts"] = format_rfc3339(parse_rfc3339(event["event_ts"])) if ("event_ts" in event) else received
    if "sent_at" in event:
        record["sent_at"] = format_rfc3339(parse_rfc3339(event["sent_at"]))
    record["received_at"] = received
    record["host"] = ctx.host
    record["user_agent"] = user_agent or ctx.user_agent
    record["schema_version"] = schema_version
    return record


def sort_events(events: list[Any], validator: EventValidator, ctx: RequestContext, raw_limit: int) -> Outcome:
    """Validate each event; valid ones become records, invalid ones dead letters."""
    outcome = Outcome()
    received = format_rfc3339(ctx.received_at)
    for index, event in enumerate(events):
        rejection: Rejection | None = validator.check(event, ctx.received_at)
        if rejection is None:
            record = enrich(event, ctx, validator.versions[event["event_type"]], received)
            outcome.records.append(record)
            outcome.accepted.append({"index": index, "event_id": record["event_id"]})
        else:
            outcome.dead_letters.append(
                dead_letter(
                    ctx, rejection.reason, event, raw_limit, validator.dead_letter_limits, rejection.field, event
                )
            )
            outcome.rejected.append({"index": index, "field": rejection.field, "reason": rejection.reason})
    return outcome


def sort_mapped(items: list[Any], validator: EventValidator, ctx: RequestContext, raw_limit: int) -> Outcome:
    """As sort_events, for input mapped from another wire format (questlog_api.segment.Mapped): an item
    that could not be mapped is a dead letter of what was sent; one that could is validated as ours."""
    outcome = Outcome()
    received = format_rfc3339(ctx.received_at)
    for index, item in enumerate(items):
        event = item.event
        rejection: Rejection | None = item.rejection or validator.check(event, ctx.received_at)
        if rejection is None:
            version = validator.versions[event["event_type"]]
            record = enrich(event, ctx, version, received, item.user_agent)
            outcome.records.append(record)
            outcome.accepted.append({"index": index, "event_id": record["event_id"]})
            continue
        claimed = event if event is not None else (item.claims or {})
        limits = validator.dead_letter_limits
        outcome.dead_letters.append(
            dead_letter(ctx, rejection.reason, item.message, raw_limit, limits, rejection.field, claimed)
        )
        answer = {"index": index, "field": rejection.field, "reason": rejection.reason}
        (outcome.rejected if item.stored_type else outcome.skipped).append(answer)
    return outcome
