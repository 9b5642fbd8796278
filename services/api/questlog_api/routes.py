"""HTTP routes: the batch endpoint, the seed-style game actions, health, metrics and the API doc."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from flask import Blueprint, Response, current_app, g, request
from questlog_core.validation import short_repr

from questlog_api import metrics, segment
from questlog_api.events import HOST_PROBLEM, HOST_SENT, BodyError, RequestContext, host_problem, server_text
from questlog_api.ingest import Ingestor

bp = Blueprint("api", __name__)

OPEN_PATHS = frozenset({"/healthz", "/readyz", "/metrics", "/openapi.json"})


def _ingestor() -> Ingestor:
    ingestor: Ingestor = current_app.extensions["questlog.ingestor"]
    return ingestor


def _context() -> RequestContext:
    """What the request says besides its body, server-set fields fitted to their schema limits; a
    Host header that cannot be recorded as sent is refused (400 and a dead letter)."""
    ingestor = _ingestor()
    host = request.environ.get(HOST_SENT, request.headers.get("Host"))
    ctx = RequestContext(
        received_at=datetime.now(UTC),
        host=server_text(host, ingestor.host_limit),
        user_agent=server_text(request.headers.get("User-Agent"), ingestor.user_agent_limit),
        endpoint=request.path,
        request_id=g.get("request_id", ""),
    )
    # Judged once by the app's Host guard; a WSGI stack without it judges here.
    environ = request.environ
    problem = environ[HOST_PROBLEM] if HOST_PROBLEM in environ else host_problem(host, ingestor.host_limit)
    if problem:
        ingestor.refuse(ctx, problem, "host")
    return ctx


def _answer(body: dict[str, Any], status: int) -> Response:
    return Response(orjson.dumps(body), status, mimetype="application/json")


def _seed_user(attributes: dict[str, Any]) -> Any:
    # As the original tests did: body user_id, else X-User-Id, else the Host header.
    if "user_id" in attributes:
        return attributes["user_id"]
    return request.headers.get("X-User-Id") or request.headers.get("Host")


def _seed_event(event_type: str, doc: Any) -> list[Any]:
    attributes = {} if doc is None else doc
    if not isinstance(attributes, dict):
        raise BodyError(f"body must be a JSON object of {event_type} attributes")
    claimed = attributes.get("event_type", event_type)
    if claimed != event_type:
        raise BodyError(f"event_type {short_repr(claimed, 64)} does not match endpoint {request.path}")
    return [{**attributes, "event_type": event_type, "user_id": _seed_user(attributes)}]


@bp.post("/v1/events")
def post_events() -> Response:
    """Accept one event, an array of events or {"events": [...]}."""
    ingestor, ctx = _ingestor(), _context()
    body = ingestor.read_body(request, ctx)
    ingestor.check_content_type(request, body, ctx)
    return _answer(*ingestor.ingest(ingestor.parse(body, ctx), ctx))


@bp.post("/v1/batch")
def segment_batch() -> Response:
    """Accept a Segment-spec batch (`{"batch": [...], "sentAt": ...}`): what analytics SDKs send."""
    ingestor, ctx = _ingestor(), _context()
    body = ingestor.read_body(request, ctx)
    ingestor.check_content_type(request, body, ctx)
    shape = segment.batch_shape(ingestor.settings.max_events)
    return _answer(*ingestor.ingest_segment(ingestor.parse(body, ctx, shape, segment.redact), ctx))


@bp.post("/v1/track")
def segment_track() -> Response:
    """Accept one Segment-spec track message."""
    ingestor, ctx = _ingestor(), _context()
    body = ingestor.read_body(request, ctx)
    ingestor.check_content_type(request, body, ctx)
    return _answer(*ingestor.ingest_segment(ingestor.parse(body, ctx, segment.track_shape, segment.redact), ctx))


def seed_action(event_type: str) -> Response:
    """Log one event of a seed-style route (the original assignment's endpoints, from the schemas)."""
    ingestor, ctx = _ingestor(), _context()
    body = ingestor.read_body(request, ctx)
    ingestor.check_content_type(request, body, ctx)
    events = ingestor.parse(body, ctx, shape=lambda doc: _seed_event(event_type, doc))
    return _answer(*ingestor.ingest(events, ctx))


@bp.get("/")
def default_event() -> Response:
    """Log a `default` event for a visit to the root, as the original API did (HEAD logs nothing)."""
    if request.method == "HEAD":
        return Response(b"", 200, mimetype="application/json")
    ctx = _context()
    event = {"event_type": "default", "user_id": _seed_user({})}
    return _answer(*_ingestor().ingest([event], ctx))


@bp.get("/healthz")
def healthz() -> Response:
    """Answer that the process is alive; touches nothing else."""
    return Response(b"ok", 200, mimetype="text/plain")


@bp.get("/readyz")
def readyz() -> Response:
    """Answer 200 when Kafka answers a metadata request, 503 otherwise."""
    if current_app.extensions["questlog.producer"].ready():
        return _answer({"status": "ready", "kafka": "reachable"}, 200)
    response = _answer({"status": "not_ready", "kafka": "unreachable"}, 503)
    response.headers["Retry-After"] = str(current_app.config["QUESTLOG"].retry_after_s)
    return response


@bp.get("/metrics")
def metrics_page() -> Response:
    """Expose Prometheus metrics in text format."""
    body, content_type = metrics.render()
    return Response(body, 200, content_type=content_type)


@bp.get("/openapi.json")
def openapi() -> Response:
    """Serve the OpenAPI 3 document of the API's schemas (services/api/openapi.json for schemas/)."""
    return Response(current_app.extensions["questlog.openapi"], 200, mimetype="application/json")
