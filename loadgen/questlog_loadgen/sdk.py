"""Deliver a played game world the way a game client with an analytics SDK does: through Segment's
Python SDK (segment-analytics-python) to questlog's Segment-spec `/v1/batch`, with the SDK's own
batching and retries.

Devices here keep true time: the SDK stamps the batch's `sentAt` with this machine's clock, so a
simulated device clock skew would read as a real one (the skewed path is `game.deliver`).
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from questlog_loadgen.game import Delivery, DeliveryError, Played, World

# The envelope fields a Segment message carries outside `properties` (the API's mapping,
# questlog_api.segment.FIELD_SOURCES; tests/unit/test_loadgen.py round-trips through it).
_CONTEXT_OS = {"ios": "iOS", "android": "Android", "other": "Other"}
_OUTSIDE_PROPERTIES = ("event_id", "event_type", "user_id", "event_ts", "sent_at", "platform", "app_version")


def message(played: Played) -> dict[str, Any]:
    """The keyword arguments of the SDK's `track` for one played event (its true time as timestamp)."""
    body = played.body
    context: dict[str, Any] = {}
    platform = body.get("platform")
    if platform == "web":
        context["device"] = {"type": "browser"}
    elif platform is not None:
        context["os"] = {"name": _CONTEXT_OS[platform]}
    if "app_version" in body:
        context["app"] = {"version": body["app_version"]}
    return {
        "user_id": body["user_id"],
        "event": body["event_type"],
        "properties": {k: v for k, v in body.items() if k not in _OUTSIDE_PROPERTIES},
        "context": context,
        "timestamp": played.at.astimezone(UTC),
        "message_id": body["event_id"],
    }


def deliver(deliveries: list[Delivery], api: str, write_key: str = "questlog-demo") -> int:
    """Send every event of `deliveries` through the SDK, flush, and return how many were sent.

    Raises DeliveryError when the SDK gave up on any batch (it retries 5xx, 429 and lost connections).
    """
    try:
        from segment.analytics import Client
    except ImportError as exc:  # a dev dependency (uv.lock): the runtime images do not carry it
        raise DeliveryError("segment-analytics-python is not installed: run make setup") from exc
    errors: list[str] = []
    client = Client(write_key, host=api, on_error=lambda error, _batch: errors.append(repr(error)))
    sent = 0
    for delivery in deliveries:
        for played in delivery.events:
            client.track(**message(played))
            sent += 1
    client.flush()
    client.join()
    if errors:
        raise DeliveryError(f"the SDK could not deliver {len(errors)} batch(es): {errors[0][:300]}")
    return sent


def world_events(world: World) -> int:
    """Distinct events of a world (what the lake must hold after `deliver`)."""
    return len({e.body["event_id"] for d in world.deliveries for e in d.events})
