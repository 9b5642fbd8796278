"""Client faults on top of the clean timeline: re-sent events and malformed ones."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from questlog_core.registry import default_registry

from questlog_loadgen.model import PlannedEvent, format_ts, new_event_id

Body = dict[str, Any]


def _own_required(event_type: str) -> str:
    """Return the first attribute the event type's schema requires beyond the envelope."""
    registry = default_registry()
    envelope = set(registry.envelope.required)
    own = [name for name in registry.latest(event_type).required if name not in envelope]
    return own[0] if own else registry.envelope.required[-1]


def _unknown_type(rng: random.Random, body: Body, event: PlannedEvent) -> Body:
    return {**body, "event_type": rng.choice(["open_chest", "level_up", "Purchase_Weapon"])}


def _bad_event_id(rng: random.Random, body: Body, event: PlannedEvent) -> Body:
    return {**body, "event_id": f"evt-{rng.getrandbits(32):08x}"}


def _stale_ts(rng: random.Random, body: Body, event: PlannedEvent) -> Body:
    return {**body, "event_ts": format_ts(event.happened_at - timedelta(days=rng.randint(35, 400)))}


def _unknown_field(rng: random.Random, body: Body, event: PlannedEvent) -> Body:
    return {**body, rng.choice(["level", "xp", "combo"]): rng.randint(1, 999)}


def _missing_required(rng: random.Random, body: Body, event: PlannedEvent) -> Body:
    return {k: v for k, v in body.items() if k != _own_required(body["event_type"])}


def _wrong_value(rng: random.Random, body: Body, event: PlannedEvent) -> Body:
    if body["event_type"] == "purchase_weapon":
        return {**body, "gold_cost": rng.choice([-abs(body["gold_cost"]) - 1, str(body["gold_cost"]), 12.5])}
    if body["event_type"] == "enter_battle":
        return {**body, "outcome": rng.choice(["draw", "WON", "fled"])}
    return {**body, "guild_name": ""}


# What a buggy or hostile client gets wrong; every one of these the API must reject.
MALFORMED: dict[str, Callable[[random.Random, Body, PlannedEvent], Body]] = {
    "unknown_event_type": _unknown_type,
    "bad_event_id": _bad_event_id,
    "stale_event_ts": _stale_ts,
    "unknown_field": _unknown_field,
    "missing_required": _missing_required,
    "wrong_value": _wrong_value,
}


def duplicates(rng: random.Random, events: list[PlannedEvent], rate: float) -> list[PlannedEvent]:
    """Return exact copies of a share of events, re-sent a little later (a retry after a lost reply)."""
    picked = rng.sample(events, round(rate * len(events)))
    return [
        dataclasses.replace(e, sent_at=e.sent_at + timedelta(seconds=rng.uniform(1, 900)), kind="duplicate")
        for e in picked
    ]


def malformed(rng: random.Random, ids: random.Random, events: list[PlannedEvent], rate: float) -> list[PlannedEvent]:
    """Return broken variants of a share of events, each with a fresh event_id."""
    broken = []
    for event in rng.sample(events, round(rate * len(events))):
        fault = rng.choice(sorted(MALFORMED))
        body = MALFORMED[fault](rng, {**event.body, "event_id": new_event_id(ids)}, event)
        broken.append(dataclasses.replace(event, body=body, kind="malformed", fault=fault))
    return broken
