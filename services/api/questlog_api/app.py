"""Application factory: the game API that records player actions durably in Kafka."""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import Callable
from typing import Any

import orjson
from flask import Flask, Response, g, request
from questlog_core.erasure import ErasureError, read_key
from questlog_core.registry import Registry, default_registry
from questlog_core.validation import EventValidator, TimeWindow
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from questlog_api import admin, metrics
from questlog_api.auth import HEADER, key_matches, presented_key
from questlog_api.erasures import Erasures
from questlog_api.errors import ApiError, RateLimited, Unauthorized
from questlog_api.events import HOST_PROBLEM, HOST_SENT, host_problem
from questlog_api.ingest import Ingestor
from questlog_api.openapi import render
from questlog_api.producer import DurableProducer
from questlog_api.ratelimit import RateLimiter
from questlog_api.routes import OPEN_PATHS, bp, seed_action
from questlog_api.settings import Settings

log = logging.getLogger("questlog_api")


def guard_host(wsgi_app: Any, limit: int) -> Any:
    """WSGI middleware: judge the Host header once, under HOST_PROBLEM. A Host werkzeug cannot route
    (a label over 63 characters fails its IDNA encoding with a bare 400) is swapped for a
    placeholder, the original kept under HOST_SENT, so the request reaches the API, which refuses it
    with a reason and a dead letter."""

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        host = environ.get("HTTP_HOST")
        problem = host_problem(host, limit)
        environ[HOST_PROBLEM] = problem
        if problem:
            environ[HOST_SENT] = host
            environ["HTTP_HOST"] = "invalid-host.invalid"
        return wsgi_app(environ, start_response)

    return app


def json_response(body: Any, status: int, headers: dict[str, str] | None = None) -> Response:
    """Return a JSON response serialised with orjson."""
    return Response(orjson.dumps(body), status, headers, mimetype="application/json")


def _seed_view(event_type: str) -> Callable[[], Response]:
    def view() -> Response:
        return seed_action(event_type)

    return view


def erasures_from(settings: Settings) -> Erasures | None:
    """The erasure client of these settings; None (erasure unavailable, logged) without a privacy key."""
    if not settings.privacy_key_file:
        log.warning("player erasure is off: QUESTLOG_API_PRIVACY_KEY_FILE is not set")
        return None
    try:
        key = read_key(settings.privacy_key_file)
    except ErasureError as exc:
        log.error("player erasure is off: %s (QUESTLOG_API_PRIVACY_KEY_FILE)", exc)
        return None
    config = {"bootstrap.servers": settings.bootstrap_servers, **settings.producer_config}
    return Erasures(config, settings.erasures_topic, key)


_FROM_SETTINGS: Any = object()


def create_app(
    settings: Settings | None = None,
    producer: DurableProducer | None = None,
    registry: Registry | None = None,
    erasures: Erasures | None = _FROM_SETTINGS,
) -> Flask:
    """Build the API; clients come in as arguments so each test gets its own app (`erasures`: by
    default made from the settings; None turns erasure off)."""
    settings = settings or Settings()
    if erasures is _FROM_SETTINGS:
        erasures = erasures_from(settings)
    if producer is None:
        producer = DurableProducer(
            {
                "bootstrap.servers": settings.bootstrap_servers,
                "linger.ms": settings.linger_ms,
                **settings.producer_config,
            },
            settings.delivery_timeout_ms,
        )
    producer.on_error = lambda kind: metrics.KAFKA_ERRORS.labels(kind).inc()
    registry = registry or default_registry()
    validator = EventValidator(registry, TimeWindow(settings.max_past, settings.max_future))
    app = Flask(__name__)
    app.config["QUESTLOG"] = settings
    app.extensions["questlog.ingestor"] = Ingestor(settings, validator, producer, erasures)
    app.extensions["questlog.producer"] = producer
    app.extensions["questlog.erasures"] = erasures
    app.extensions["questlog.openapi"] = render(registry).encode()
    app.register_blueprint(bp)
    app.register_blueprint(admin.bp)
    for path, event_type in registry.seed_routes.items():
        app.add_url_rule(path, f"api.{path.strip('/')}", _seed_view(event_type), methods=["POST"])
    app.wsgi_app = guard_host(app.wsgi_app, app.extensions["questlog.ingestor"].host_limit)  # type: ignore[method-assign]
    if settings.proxy_hops:
        # Trust exactly this many proxies' X-Forwarded-For entries (counted from the right); a client
        # can prepend entries of its own but never replace the ones its proxies appended.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_hops)  # type: ignore[method-assign]
    limiter = (
        RateLimiter(
            settings.rate_limit,
            settings.rate_limit_period_s,
            settings.rate_limit_burst,
            settings.rate_limit_slots,
            settings.rate_limit_file,
        )
        if settings.rate_limit
        else None
    )

    @app.before_request
    def _start() -> None:
        if request.path == "/healthz":
            return
        g.started = time.perf_counter()
        g.request_id = request.headers.get("X-Request-Id", "")[:64] or uuid.uuid4().hex
        if request.path in OPEN_PATHS:
            return
        key = presented_key(request.headers, request.authorization)
        is_admin = request.path.startswith(admin.PREFIX)
        # Admin routes take the admin key (checked below), never an ingest key.
        authorised = is_admin or not settings.auth_enabled or key_matches(key, settings.api_keys)
        if limiter is not None:
            # A client is its API key when it has a valid one, else its address: requests with a
            # wrong key are limited too, without eating into the budget of the key they guess at.
            client = f"key:{key}" if settings.auth_enabled and authorised else f"addr:{request.remote_addr}"
            decision = limiter.hit(client)
            if not decision.allowed:
                endpoint = request.url_rule.rule if request.url_rule else "unmatched"
                metrics.RATE_LIMITED.labels(endpoint).inc()
                wait = max(1, math.ceil(decision.retry_after_s))
                raise RateLimited(
                    f"more than {limiter.limit} requests in {limiter.period_s} s from this client; "
                    f"retry after {wait} s",
                    wait,
                )
        if is_admin and request.url_rule is not None and request.method != "OPTIONS":  # else Flask answers
            admin.check_admin(request.headers, settings.admin_keys)
        if not authorised:
            raise Unauthorized(f"missing or invalid {HEADER} header (or write key as the HTTP basic auth user)")

    @app.after_request
    def _finish(response: Response) -> Response:
        if "started" not in g:
            return response
        response.headers["X-Request-Id"] = g.request_id
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        metrics.REQUESTS.labels(endpoint, str(response.status_code)).inc()
        if settings.access_log:
            log.info(
                "request",
                extra={
                    "fields": {
                        "method": request.method,
                        "path": request.path,
                        "status": response.status_code,
                        "ms": round((time.perf_counter() - g.started) * 1000, 2),
                        "remote": request.remote_addr,
                    }
                },
            )
        return response

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Response:
        if exc.status >= 500:
            log.error("%s: %s", exc.code, exc.message)
        return json_response(exc.body(), exc.status, exc.headers)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        name = (exc.name or "error").lower().replace(" ", "_")
        return json_response({"error": name, "message": exc.description}, exc.code or 500)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error")
        return json_response(
            {
                "error": "internal",
                "message": "internal error; see the API log",
                "request_id": g.get("request_id"),
            },
            500,
        )

    return app
