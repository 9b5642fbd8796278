"""Draw a population of players: networks, skill, appetite, guild intent, clocks and install times."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from questlog_loadgen.catalog import NETWORKS, PLATFORMS
from questlog_loadgen.model import Player

# Relative activity by hour of day (UTC): quiet nights, an evening peak.
HOURLY = (2, 1, 1, 1, 1, 2, 3, 4, 5, 5, 5, 6, 7, 6, 6, 6, 7, 8, 10, 12, 13, 12, 8, 4)
WEEKEND_BOOST = 1.7


def day_weight(day: datetime) -> float:
    """Return how busy a day is: weekends peak."""
    return WEEKEND_BOOST if day.weekday() >= 5 else 1.0


def random_time_in_day(rng: random.Random, day: datetime) -> datetime:
    """Draw a time within a UTC day, following the hourly activity curve."""
    hour = rng.choices(range(24), weights=HOURLY)[0]
    return day + timedelta(hours=hour, seconds=rng.uniform(0, 3600))


def days_between(start: datetime, end: datetime) -> list[datetime]:
    """Return the UTC midnights of every day that overlaps [start, end)."""
    first = start.replace(hour=0, minute=0, second=0, microsecond=0)
    count = math.ceil((end - first) / timedelta(days=1))
    return [first + timedelta(days=i) for i in range(count)]


def _clock_skew(rng: random.Random, skew_rate: float) -> timedelta:
    if rng.random() >= skew_rate:
        return timedelta(0)
    if rng.random() < 0.8:  # a little drift, either way
        return timedelta(seconds=rng.uniform(-180, 180))
    # A clock set by hand or on the wrong zone: hours off, usually behind.
    sign = 1 if rng.random() < 0.3 else -1
    return timedelta(hours=sign * rng.randint(1, 6), seconds=rng.uniform(0, 60))


def _install_time(rng: random.Random, start: datetime, end: datetime) -> datetime:
    days = days_between(start, end)
    for _ in range(100):  # bounded: almost always the first draw lands inside the window
        day = rng.choices(days, weights=[day_weight(d) for d in days])[0]
        when = random_time_in_day(rng, day)
        if start <= when < end - timedelta(minutes=30):
            return when
    return start + (end - start) * rng.random() * 0.9


def build_population(
    rng: random.Random, players: int, run_id: str, start: datetime, end: datetime, skew_rate: float
) -> list[Player]:
    """Draw `players` players who install between start and end."""
    population = []
    for i in range(players):
        skill = rng.betavariate(2.5, 2.5)
        population.append(
            Player(
                user_id=f"{run_id}-p{i:05d}",
                network=rng.choices(NETWORKS, weights=[n.weight for n in NETWORKS])[0],
                platform=rng.choice(PLATFORMS),
                skill=skill,
                appetite=rng.lognormvariate(0.0, 0.6),
                guild_bound=rng.random() < 0.30 + 0.35 * skill,
                battles_before_guild=rng.randint(2, 12),
                retention=rng.uniform(0.35, 0.9),
                clock_skew=_clock_skew(rng, skew_rate),
                installed_at=_install_time(rng, start, end),
            )
        )
    return population
