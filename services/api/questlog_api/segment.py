"""The Segment tracking spec (`/v1/batch`, `/v1/track`) mapped onto questlog's events.

Analytics SDKs (Segment's, RudderStack's, their mobile and Unity ports) batch messages, retry and
stamp `messageId`, `timestamp` and `sentAt`. A `track` message becomes one of our events; every other
message type (identify, page, screen, group, alias) is dead-lettered with a reason (questlog stores
player actions, not profiles). The envelope fields the mapping fills are checked against the schema
contract when the API starts (`check_contract`), so a change to the envelope cannot silently leave
the mapping behind.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from questlog_core.registry import Registry
from questlog_core.validation import Rejection, short_repr

from questlog_api.events import BodyError, TooManyEvents, server_text

# Our envelope field <- where a Segment message carries it (docs/sending-events.md shows this table).
FIELD_SOURCES: dict[str, str] = {
    "event_type": "`event`",
    "user_id": "`userId`, else `anonymousId`",
    "event_id": "`messageId` (one that is not a UUID becomes a name-based UUID, version 5, of it)",
    "event_ts": "`timestamp` (absent: the receive time)",
    "sent_at": "`sentAt` of the message, else of the batch",
    "platform": "`context.os.name`, else `context.device.type` (iOS/iPadOS: ios; Android: android; "
    "web/browser: web; anything else: other)",
    "app_version": "`context.app.version`",
    "user_agent": "`context.userAgent`, else the request's User-Agent header",
}
# The event's own fields come from `properties`; those the mapping fills may not come from there.
PROPERTIES = "properties"
MESSAGE_TYPES = ("track", "identify", "page", "screen", "group", "alias")
# Names of platforms as SDKs report them (lower case) that are another name of one of ours.
_PLATFORM_ALIASES = {"ipados": "ios", "iphone os": "ios", "browser": "web"}
# A fixed namespace: the same messageId always maps to the same event_id (retries stay deduplicated).
_MESSAGE_ID_NAMESPACE = uuid.UUID("3b4f8a52-7c1e-4d6b-9e2a-5f0c1d7e8a93")
_WRITE_KEY = re.compile(rb'("writeKey"\s*:\s*)"(?:[^"\\]|\\.)*"')


class ContractError(RuntimeError):
    """The envelope schema no longer has a field the Segment mapping fills."""


def check_contract(registry: Registry) -> tuple[str, ...]:
    """Fail unless every mapped field is an envelope field; return the platform names (schema enum)."""
    envelope = registry.envelope.properties
    missing = [name for name in FIELD_SOURCES if name not in envelope]
    if missing:
        raise ContractError(f"the Segment mapping fills {missing}, which the envelope schema no longer has")
    platforms = tuple(envelope["platform"].get("enum", ()))
    if "other" not in platforms or not set(_PLATFORM_ALIASES.values()) <= set(platforms):
        raise ContractError(f"the Segment mapping needs platforms {sorted(_PLATFORM_ALIASES.values())} and other")
    return platforms


def redact(body: bytes) -> bytes:
    """Hide the write key some SDKs also put in the body, before the body is recorded anywhere."""
    return _WRITE_KEY.sub(rb'\1"[redacted]"', body)


@dataclass(frozen=True)
class Mapped:
    """A Segment message as questlog sees it: the event it maps to, or why it cannot be one."""

    message: Any  # as sent: what a dead letter records
    event: dict[str, Any] | None
    rejection: Rejection | None = None
    user_agent: str | None = None  # context.userAgent, when the message says one
    stored_type: bool = True  # False: a message type questlog does not store (identify, page, ...)
    # What a rejected message says it is, in our field names (the dead letter's event_type, user_id...).
    claims: Mapping[str, Any] | None = None


def _reject(message: Any, field_name: str | None, reason: str, stored_type: bool = True) -> Mapped:
    claims = None
    if isinstance(message, dict):
        user = message.get("userId") if message.get("userId") not in (None, "") else message.get("anonymousId")
        event_id = _event_id(message.get("messageId"))
        claims = {"event_type": message.get("event"), "user_id": user, "event_id": event_id}
    return Mapped(message, None, Rejection(field_name, reason), stored_type=stored_type, claims=claims)


def batch_shape(max_events: int) -> Callable[[Any], list[Any]]:
    """Unpack a `/v1/batch` body: `{"batch": [...], "sentAt", "context", ...}` -> its messages, each
    given the batch's `sentAt` and `context` where it has none of its own."""

    def shape(doc: Any) -> list[Any]:
        if not isinstance(doc, dict) or not isinstance(doc.get("batch"), list):
            raise BodyError('body must be a Segment batch: a JSON object with a "batch" array of messages')
        messages = doc["batch"]
        if not messages:
            raise BodyError('no messages in "batch"')
        if len(messages) > max_events:
            raise TooManyEvents(f"{len(messages)} messages in one batch; the limit is {max_events}")
        return [_with_batch_defaults(m, doc) for m in messages]

    return shape


def track_shape(doc: Any) -> list[Any]:
    """Unpack a `/v1/track` body: one message, of type track unless it says otherwise."""
    if not isinstance(doc, dict):
        raise BodyError("body must be a Segment track message: a JSON object")
    return [doc if "type" in doc else {**doc, "type": "track"}]


def _with_batch_defaults(message: Any, batch: Mapping[str, Any]) -> Any:
    if not isinstance(message, dict):
        return message
    out = message
    for key in ("sentAt", "context"):
        if key in batch and key not in message:
            out = {**out, key: batch[key]}
    return out


def _platform(context: Mapping[str, Any], platforms: tuple[str, ...]) -> str | None:
    said = [
        (context.get(part) or {}).get(key) if isinstance(context.get(part), dict) else None
        for part, key in (("os", "name"), ("device", "type"))
    ]
    names = [s.strip().lower() for s in said if isinstance(s, str) and s.strip()]
    for name in names:
        name = _PLATFORM_ALIASES.get(name, name)
        if name in platforms:
            return name
    return "other" if names else None


def _event_id(message_id: Any) -> str | None:
    if not isinstance(message_id, str):
        return None
    try:
        return str(uuid.UUID(message_id))
    except ValueError:
        return str(uuid.uuid5(_MESSAGE_ID_NAMESPACE, message_id))


def to_event(message: Any, platforms: tuple[str, ...], user_agent_limit: int) -> Mapped:
    """Map one Segment message onto a questlog event (still to be validated against its schema)."""
    if not isinstance(message, dict):
        return _reject(message, None, f"message must be a JSON object, got {type(message).__name__}")
    kind = message.get("type")
    if kind != "track":
        if kind in MESSAGE_TYPES:
            reason = f"Segment {kind} messages are not stored: questlog lands track messages (player actions)"
            return _reject(message, "type", reason, stored_type=False)
        return _reject(message, "type", f"unknown Segment message type {short_repr(kind, 32)}")
    properties = message.get(PROPERTIES, {})
    if properties is None:
        properties = {}
    if not isinstance(properties, dict):
        return _reject(message, PROPERTIES, "properties must be a JSON object")
    taken = sorted(set(properties) & set(FIELD_SOURCES))
    if taken:
        name = taken[0]
        reason = f"properties.{name} is set from the message itself ({FIELD_SOURCES[name]}), not from properties"
        return _reject(message, f"{PROPERTIES}.{name}", reason)
    event: dict[str, Any] = {**properties, "event_type": message.get("event")}
    user = message.get("userId")
    if user is None or user == "":
        user = message.get("anonymousId")
    if user is None or user == "":
        return _reject(message, "userId", "message has neither userId nor anonymousId")
    event["user_id"] = user
    if "messageId" in message:
        event_id = _event_id(message["messageId"])
        if event_id is None:
            return _reject(message, "messageId", "messageId must be a string")
        event["event_id"] = event_id
    for ours, theirs in (("event_ts", "timestamp"), ("sent_at", "sentAt")):
        if message.get(theirs) is not None:
            event[ours] = message[theirs]
    context = message.get("context")
    agent = None
    if isinstance(context, dict):
        platform = _platform(context, platforms)
        if platform is not None:
            event["platform"] = platform
        app = context.get("app")
        if isinstance(app, dict) and app.get("version") is not None:
            event["app_version"] = app["version"]
        if isinstance(context.get("userAgent"), str):
            agent = server_text(context["userAgent"], user_agent_limit)
    return Mapped(message, event, user_agent=agent)
