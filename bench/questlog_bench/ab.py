"""Run Apache Bench (keep-alive, time-limited) and read its summary."""

from __future__ import annotations

import re
import subprocess
from dataclasses import asdict, dataclass

_NUMBERS = {
    "complete": r"^Complete requests:\s+(\d+)",
    "failed": r"^Failed requests:\s+(\d+)",
    "non_2xx": r"^Non-2xx responses:\s+(\d+)",
    "requests_per_s": r"^Requests per second:\s+([\d.]+)",
    "seconds": r"^Time taken for tests:\s+([\d.]+)",
}


class AbError(RuntimeError):
    """ab did not run or printed no summary."""


@dataclass(frozen=True)
class AbResult:
    """What one ab run measured; latencies in milliseconds."""

    label: str
    concurrency: int
    events_per_request: int
    complete: int
    failed: int
    non_2xx: int
    requests_per_s: float
    seconds: float
    p50_ms: float | None
    p99_ms: float | None

    @property
    def ok_requests(self) -> int:
        """Requests answered 2xx without error."""
        return max(0, self.complete - self.failed - self.non_2xx)

    @property
    def events_per_s(self) -> float:
        """Events acknowledged per second (2xx requests only)."""
        return self.ok_requests * self.events_per_request / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, object]:
        """Return the result and its derived figures as JSON-ready data."""
        return {**asdict(self), "ok_requests": self.ok_requests, "events_per_s": round(self.events_per_s, 1)}


def parse(text: str, label: str, concurrency: int, events_per_request: int) -> AbResult:
    """Read ab's summary; missing counters (e.g. no Non-2xx line) are zero."""
    found: dict[str, float] = {}
    for key, pattern in _NUMBERS.items():
        match = re.search(pattern, text, re.MULTILINE)
        found[key] = float(match.group(1)) if match else 0.0
    if not re.search(_NUMBERS["requests_per_s"], text, re.MULTILINE):
        raise AbError(f"ab printed no summary for {label}: {text[-400:]}")
    percentiles = {int(p): float(ms) for p, ms in re.findall(r"^\s+(\d+)%\s+(\d+)", text, re.MULTILINE)}
    return AbResult(
        label=label,
        concurrency=concurrency,
        events_per_request=events_per_request,
        complete=int(found["complete"]),
        failed=int(found["failed"]),
        non_2xx=int(found["non_2xx"]),
        requests_per_s=found["requests_per_s"],
        seconds=found["seconds"],
        p50_ms=percentiles.get(50),
        p99_ms=percentiles.get(99),
    )


def run(
    url: str,
    label: str,
    concurrency: int,
    seconds: float,
    body: str | None = None,
    events_per_request: int = 0,
    headers: tuple[str, ...] = (),
) -> AbResult:
    """Run ab -k for a fixed time against one URL (POST the body file when given)."""
    cmd = ["ab", "-k", "-q", "-l", "-s", "30", "-c", str(concurrency), "-t", str(seconds), "-n", "10000000"]
    if body:
        cmd += ["-p", body, "-T", "application/json"]
    for header in headers:
        cmd += ["-H", header]
    cmd.append(url)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120, check=False)
    return parse(proc.stdout + proc.stderr, label, concurrency, events_per_request)
