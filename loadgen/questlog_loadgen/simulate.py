"""CLI: simulate a player population, post its events at a target rate, write the ground truth."""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tqdm import tqdm

from questlog_loadgen.client import ApiClient
from questlog_loadgen.errors import LoadgenError
from questlog_loadgen.plan import Plan, build_plan
from questlog_loadgen.settings import Settings
from questlog_loadgen.truth import aggregate, sent_summary


class Tally:
    """What the API said about every event of a run."""

    def __init__(self) -> None:
        self.acknowledged: list[Any] = []  # valid events whose event_id came back accepted
        self.accepted_entries = 0
        self.rejected_by_field: Counter[str] = Counter()
        self.malformed_rejected = 0
        self.unexpected: list[str] = []
        self.requests = 0
        self.retried_events = 0
        self.sent_events = 0


def send(plan: Plan, client: ApiClient, settings: Settings) -> tuple[Tally, float, bool]:
    """Post every batch, paced to the target rate; return the tally, the seconds taken, and completeness."""
    tally = Tally()
    started = time.monotonic()
    bar = tqdm(total=len(plan.events), unit="ev", disable=not settings.progress, file=sys.stderr)
    try:
        for batch in plan.batches:
            if time.monotonic() - started > settings.max_seconds:
                return tally, time.monotonic() - started, False
            reply = client.post([e.body for e in batch.events], batch.host)
            tally.requests += reply.requests
            tally.retried_events += reply.retried_events
            tally.sent_events += len(batch.events)
            for index, event in enumerate(batch.events):
                if index in reply.accepted:
                    tally.accepted_entries += 1
                    if event.kind == "malformed":
                        tally.unexpected.append(f"malformed ({event.fault}) accepted: {event.body}")
                    elif reply.accepted[index] != event.event_id:
                        tally.unexpected.append(f"event_id {event.event_id} came back as {reply.accepted[index]}")
                    else:
                        tally.acknowledged.append(event)
                elif index in reply.rejected:
                    tally.rejected_by_field[str(reply.rejected[index]["field"])] += 1
                    if event.kind == "malformed":
                        tally.malformed_rejected += 1
                    else:
                        tally.unexpected.append(f"valid event rejected: {reply.rejected[index]} {event.body}")
            bar.update(len(batch.events))
            if settings.rate:
                ahead = tally.sent_events / settings.rate - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)
    finally:
        bar.close()
    return tally, time.monotonic() - started, True


def truth_document(plan: Plan, settings: Settings, tally: Tally, seconds: float, complete: bool) -> dict[str, Any]:
    """Build the JSON the tests compare the lake with: what was generated and what the API acknowledged."""
    acknowledged = aggregate(tally.acknowledged)
    return {
        "run": {
            "run_id": settings.run_id,
            "user_prefix": f"{settings.run_id}-",
            "seed": settings.seed,
            "players": settings.players,
            "days": settings.days,
            "anchor": plan.anchor.isoformat(),
            "api_url": settings.api_url,
            "finished_at": datetime.now(UTC).isoformat(),
            "complete": complete,
            "skewed_players": sum(bool(p.clock_skew) for p in plan.players),
        },
        "sent": sent_summary(plan.events),
        "generated": aggregate(plan.events),
        "acknowledged": acknowledged,
        "api": {
            "requests": tally.requests,
            "bodies_sent": tally.sent_events,
            "retried_events": tally.retried_events,
            "accepted_entries": tally.accepted_entries,
            "rejected_entries": sum(tally.rejected_by_field.values()),
            "rejected_by_field": dict(sorted(tally.rejected_by_field.items())),
            "malformed_rejected": tally.malformed_rejected,
            "unexpected": tally.unexpected[:20],
            "unexpected_count": len(tally.unexpected),
            "seconds": round(seconds, 3),
            "events_per_s": round(tally.sent_events / seconds, 1) if seconds else None,
            "requests_per_s": round(tally.requests / seconds, 1) if seconds else None,
        },
    }


def run(settings: Settings, client: ApiClient | None = None) -> dict[str, Any]:
    """Generate, send and write the truth file; return the truth document."""
    plan = build_plan(settings, settings.anchor_time())
    client = client or ApiClient(
        settings.api_url,
        settings.api_key,
        settings.timeout_s,
        settings.max_retries,
        settings.max_retry_wait_s,
    )
    tally, seconds, complete = send(plan, client, settings)
    doc = truth_document(plan, settings, tally, seconds, complete)
    path = Path(settings.truth_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    return doc


def main(argv: list[str] | None = None) -> int:
    """Run the simulator from the command line; exit 1 when anything was lost or misjudged."""
    try:
        settings = Settings.from_args(argv)
        doc = run(settings)
    except LoadgenError as exc:
        print(f"loadgen: {exc}", file=sys.stderr)
        return 2
    api, generated = doc["api"], doc["generated"]
    print(
        f"run {settings.run_id}: {api['bodies_sent']} events ({doc['sent']['duplicates_sent']} duplicates, "
        f"{doc['sent']['malformed_sent']} malformed) from {settings.players} players in {api['requests']} "
        f"requests over {api['seconds']:.1f}s = {api['events_per_s']} events/s, {api['requests_per_s']} "
        f"requests/s; truth in {settings.truth_path}"
    )
    problems = []
    if not doc["run"]["complete"]:
        problems.append(f"stopped after {settings.max_seconds}s before sending everything")
    if doc["acknowledged"]["events"] != generated["events"]:
        problems.append(f"{generated['events'] - doc['acknowledged']['events']} valid events not acknowledged")
    if api["unexpected_count"]:
        problems.append(f"{api['unexpected_count']} unexpected answers, e.g. {api['unexpected'][0]}")
    for problem in problems:
        print(f"loadgen: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
