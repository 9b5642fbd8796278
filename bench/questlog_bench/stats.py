"""Pure arithmetic of the benchmark: percentiles, ratios and goal checks."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(values: Sequence[float], p: float) -> float | None:
    """Return the p-th percentile (0-100) by the nearest-rank method, or None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def summary(values: Sequence[float]) -> dict[str, float | int | None]:
    """Return count, p50, p95, p99 and max of a sample (seconds stay seconds)."""
    return {
        "count": len(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "max": max(values) if values else None,
    }


def ratio(ours: float | None, reference: float | None) -> float | None:
    """Return ours / reference, or None when either is missing or the reference is zero."""
    if ours is None or reference is None or reference == 0:
        return None
    return ours / reference


@dataclass(frozen=True)
class Goal:
    """One goal of the issue: a measured value against a threshold."""

    name: str
    measured: float | None
    target: float
    higher_is_better: bool = True
    unit: str = ""

    @property
    def status(self) -> str:
        """Return 'pass', 'miss' or 'not measured'."""
        if self.measured is None:
            return "not measured"
        ok = self.measured >= self.target if self.higher_is_better else self.measured <= self.target
        return "pass" if ok else "miss"

    def as_dict(self) -> dict[str, object]:
        """Return the goal as JSON-ready data."""
        return {
            "name": self.name,
            "measured": self.measured,
            "target": self.target,
            "comparison": ">=" if self.higher_is_better else "<=",
            "unit": self.unit,
            "status": self.status,
        }
