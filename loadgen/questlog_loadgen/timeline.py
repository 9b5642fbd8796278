"""Play out one player's sessions: the funnel, their choices, battle outcomes and purchases."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from questlog_loadgen.catalog import ENEMIES, GUILDS, WEAPONS, Enemy, Weapon
from questlog_loadgen.model import PlannedEvent, Player, format_ts, new_event_id
from questlog_loadgen.population import day_weight, days_between, random_time_in_day

MAX_SESSION_EVENTS = 80
# Day-over-day decay of the chance a player comes back.
RETENTION_DECAY = 0.9


@dataclass(frozen=True)
class Behaviour:
    """Knobs of the timeline that come from the settings."""

    sessions_per_day: float
    events_per_session: float
    late_rate: float


@dataclass
class _State:
    battles: int = 0
    guild: str | None = None
    weapons: int = 0


def poisson(rng: random.Random, mean: float) -> int:
    """Draw from a Poisson distribution (Knuth; fine for the small means used here)."""
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit and k < 1000:
        k += 1
        p *= rng.random()
    return k


def session_starts(rng: random.Random, player: Player, end: datetime, per_day: float) -> list[datetime]:
    """Return the start of each session, from the install until `end`."""
    starts = [player.installed_at]
    for k, day in enumerate(days_between(player.installed_at, end)):
        if k > 0 and rng.random() >= min(0.97, player.retention * RETENTION_DECAY ** (k - 1) * day_weight(day)):
            continue
        extra = poisson(rng, per_day * day_weight(day)) - (1 if k == 0 else 0)
        for _ in range(max(0, extra) if k == 0 else max(1, extra)):
            when = random_time_in_day(rng, day)
            if player.installed_at < when < end:
                starts.append(when)
    return sorted(starts)


def win_chance(player: Player, enemy: Enemy, state: _State) -> float:
    """Return the chance the player beats the enemy: skill, a guild and weapons help."""
    chance = enemy.win_rate + 0.25 * (player.skill - 0.5) + (0.10 if state.guild else 0.0)
    return min(0.98, max(0.02, chance + 0.015 * min(state.weapons, 6)))


def _weapon(rng: random.Random, player: Player) -> Weapon:
    # Big spenders lean to the expensive end of the shop.
    tilt = max(-0.5, min(0.8, 0.4 * math.log(player.appetite * player.network.spend)))
    return rng.choices(WEAPONS, weights=[w.weight * (w.price / 150) ** tilt for w in WEAPONS])[0]


def _purchase(rng: random.Random, player: Player, state: _State) -> dict[str, Any]:
    weapon = _weapon(rng, player)
    gift = rng.random() < 0.03
    cost = 0 if gift else round(weapon.price * rng.uniform(0.85, 1.2) * (0.75 + 0.25 * player.network.spend))
    attrs: dict[str, Any] = {"weapon_type": weapon.name, "gold_cost": cost}
    if rng.random() < 0.9:  # older clients do not send damage
        attrs["damage"] = round(weapon.damage * rng.uniform(0.85, 1.15))
    state.weapons += 1
    return attrs


def _battle(rng: random.Random, player: Player, state: _State) -> dict[str, Any]:
    enemy = rng.choices(ENEMIES, weights=[e.weight for e in ENEMIES])[0]
    state.battles += 1
    return {
        "enemy": enemy.name,
        "outcome": "won" if rng.random() < win_chance(player, enemy, state) else "lost",
    }


def _join(rng: random.Random, state: _State) -> dict[str, Any]:
    choices = [g for g in GUILDS if g.name != state.guild]
    guild = rng.choices(choices, weights=[g.weight for g in choices])[0]
    state.guild = guild.name
    attrs = {"guild_name": guild.name}
    if rng.random() < 0.85:
        attrs["special_power"] = guild.special_power
    return attrs


def _next_action(rng: random.Random, player: Player, state: _State) -> tuple[str, dict[str, Any]]:
    if state.battles == 0:  # install -> first battle
        return "enter_battle", _battle(rng, player, state)
    if player.guild_bound and state.guild is None:
        if state.battles >= player.battles_before_guild and rng.random() < 0.5:
            return "join_guild", _join(rng, state)
    elif state.guild is not None and rng.random() < 0.004:  # a rare change of guild
        return "join_guild", _join(rng, state)
    # Guild-bound players buy only once they are in (battle -> guild -> purchase); guild members buy more.
    may_buy = not player.guild_bound or state.guild is not None
    buy = min(0.6, 0.06 * player.appetite * player.network.spend * (2.2 if state.guild else 1.0))
    if may_buy and rng.random() < buy:
        return "purchase_weapon", _purchase(rng, player, state)
    return "enter_battle", _battle(rng, player, state)


def player_events(
    rng: random.Random, ids: random.Random, player: Player, end: datetime, behaviour: Behaviour
) -> list[PlannedEvent]:
    """Play every session of one player and return its events in the order they happened."""
    events: list[PlannedEvent] = []
    state = _State()
    free_from = player.installed_at
    for planned in session_starts(rng, player, end, behaviour.sessions_per_day):
        # Sessions never overlap, so the order events happen in is the order they were decided in.
        start = max(planned, free_from)
        count = min(MAX_SESSION_EVENTS, 1 + int(rng.expovariate(1 / max(behaviour.events_per_session - 1, 0.1))))
        when, session = start, []
        for _ in range(count):
            if when >= end:
                break
            event_type, attrs = _next_action(rng, player, state)
            body = {
                "event_id": new_event_id(ids),
                "event_type": event_type,
                "user_id": player.user_id,
                "event_ts": format_ts(when + player.clock_skew),
                **attrs,
            }
            session.append((body, when))
            when += timedelta(seconds=rng.uniform(20, 150))
        if not session:
            continue
        free_from = session[-1][1] + timedelta(minutes=5)
        # An offline session reaches the API in one flush, hours after it ended.
        flush = session[-1][1] + timedelta(hours=rng.uniform(1, 12)) if rng.random() < behaviour.late_rate else None
        for n, (body, happened) in enumerate(session):
            sent = flush + timedelta(milliseconds=n) if flush else happened + timedelta(seconds=rng.uniform(0.05, 3))
            events.append(PlannedEvent(body, player.network.domain, happened, sent))
    return events
