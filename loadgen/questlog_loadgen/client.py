"""POST batches to /v1/events; retry 503s and lost connections with the same event_ids, bounded."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
import requests

from questlog_loadgen import __version__
from questlog_loadgen.errors import ApiRefused


@dataclass
class Reply:
    """What the API acknowledged for one batch, indexed by position in the batch."""

    accepted: dict[int, str] = field(default_factory=dict)  # index -> event_id
    rejected: dict[int, dict[str, Any]] = field(default_factory=dict)  # index -> {"field", "reason"}
    requests: int = 0
    retried_events: int = 0


class ApiClient:
    """A keep-alive HTTP client for the batch endpoint."""

    def __init__(
        self,
        base_url: str,
        api_key: str = "",
        timeout_s: float = 30.0,
        max_retries: int = 5,
        max_retry_wait_s: float = 30.0,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = base_url.rstrip("/") + "/v1/events"
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.max_retry_wait_s = max_retry_wait_s
        self.session = session or requests.Session()
        self.sleep = sleep
        self.headers = {"Content-Type": "application/json", "User-Agent": f"questlog-loadgen/{__version__}"}
        if api_key:
            self.headers["X-Api-Key"] = api_key

    def post(self, events: list[dict[str, Any]], host: str) -> Reply:
        """Send events with a Host header; resend what was not acknowledged until done or out of retries."""
        reply = Reply()
        pending = list(range(len(events)))
        last = ""
        for attempt in range(self.max_retries + 1):
            if attempt:
                reply.retried_events += len(pending)
            reply.requests += 1
            try:
                response = self.session.post(
                    self.url,
                    data=orjson.dumps([events[i] for i in pending]),
                    headers={**self.headers, "Host": host},
                    timeout=self.timeout_s,
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                # Maybe stored, maybe not: the same event_ids make a resend safe.
                last = f"{type(exc).__name__}: {exc}"
                self.sleep(min(2.0**attempt * 0.5, self.max_retry_wait_s))
                continue
            body = _json(response)
            for entry in body.get("accepted", []) if isinstance(body, dict) else []:
                reply.accepted[pending[entry["index"]]] = entry["event_id"]
            if response.status_code in (202, 400) and isinstance(body, dict) and "rejected" in body:
                for entry in body["rejected"]:
                    reply.rejected[pending[entry["index"]]] = {
                        "field": entry["field"],
                        "reason": entry["reason"],
                    }
                return reply
            if response.status_code != 503:
                raise ApiRefused(f"POST {self.url} answered {response.status_code}: {response.text[:300]}")
            last = f"503: {response.text[:200]}"
            pending = [i for i in pending if i not in reply.accepted]
            self.sleep(min(_retry_after(response), self.max_retry_wait_s))
        raise ApiRefused(f"POST {self.url} still failing after {self.max_retries + 1} attempts ({last})")


def _json(response: requests.Response) -> Any:
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None


def _retry_after(response: requests.Response) -> float:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "1")))
    except ValueError:
        return 1.0
