"""Assemble a run: population, timelines, faults, the sending order and the per-network batches."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from questlog_loadgen import faults
from questlog_loadgen.model import PlannedEvent, Player
from questlog_loadgen.population import build_population
from questlog_loadgen.settings import Settings
from questlog_loadgen.timeline import Behaviour, player_events


@dataclass(frozen=True)
class Batch:
    """One POST /v1/events: events of players on one network, sent with that network's Host header."""

    host: str
    events: tuple[PlannedEvent, ...]


@dataclass(frozen=True)
class Plan:
    """Everything one run sends, in sending order, and the truth behind it."""

    anchor: datetime
    players: tuple[Player, ...]
    events: tuple[PlannedEvent, ...]
    batches: tuple[Batch, ...]


def build_plan(settings: Settings, anchor: datetime) -> Plan:
    """Generate a run; the same settings and anchor always give the same plan."""
    rng = random.Random(settings.seed)  # noqa: S311 - a seeded simulation, not security
    # Ids depend on the run id too, so two runs with one seed never share an event_id.
    ids = random.Random(f"{settings.seed}/{settings.run_id}")  # noqa: S311
    start = anchor - timedelta(days=settings.days)
    players = build_population(rng, settings.players, settings.run_id, start, anchor, settings.skew_rate)
    behaviour = Behaviour(settings.sessions_per_day, settings.events_per_session, settings.late_rate)
    valid = [e for p in players for e in player_events(rng, ids, p, anchor, behaviour)]
    extra = faults.duplicates(rng, valid, settings.duplicate_rate)
    extra += faults.malformed(rng, ids, valid, settings.malformed_rate)
    # Stable sort: a player's events keep their order, and a fault follows the event it copies.
    ordered = sorted(valid + extra, key=lambda e: e.sent_at)
    return Plan(anchor, tuple(players), tuple(ordered), tuple(batches_by_host(ordered, settings.batch_size)))


def batches_by_host(events: list[PlannedEvent], size: int) -> list[Batch]:
    """Cut events into batches of one host each, keeping the sending order within a host."""
    open_batches: dict[str, list[PlannedEvent]] = {}
    batches = []
    for event in events:
        batch = open_batches.setdefault(event.host, [])
        batch.append(event)
        if len(batch) == size:
            batches.append(Batch(event.host, tuple(batch)))
            open_batches[event.host] = []
    batches += [Batch(host, tuple(b)) for host, b in open_batches.items() if b]
    return batches
