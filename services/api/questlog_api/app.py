"""Application factory: the game API that records player actions durably in Kafka."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

import orjson
from flask import Flask, Response, g, request
from questlog_core.registry import Registry, default_registry
from questlog_core.validation import EventValidator, TimeWindow
from werkzeug.exceptions import HTTPException

from questlog_api import metrics
from questlog_api.auth import HEADER, check_key
from questlog_api.errors import ApiError
from questlog_api.ingest import Ingestor
from questlog_api.producer import DurableProducer
from questlog_api.routes import OPEN_PATHS, bp
from questlog_api.settings import Settings

log = logging.getLogger("questlog_api")


def json_response(body: Any, status: int, headers: dict[str, str] | None = None) -> Response:
    """Return a JSON response serialised with orjson."""
    return Response(orjson.dumps(body), status, headers, mimetype="application/json")


def create_app(
    settings: Settings | None = None,
    producer: DurableProducer | None = None,
    registry: Registry | None = None,
) -> Flask:
    """Build the API; clients come in as arguments so each test gets its own app."""
    settings = settings or Settings()
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
    validator = EventValidator(registry or default_registry(), TimeWindow(settings.max_past, settings.max_future))
    app = Flask(__name__)
    app.config["QUESTLOG"] = settings
    app.extensions["questlog.ingestor"] = Ingestor(settings, validator, producer)
    app.extensions["questlog.producer"] = producer
    app.register_blueprint(bp)

    @app.before_request
    def _start() -> None:
        if request.path == "/healthz":
            return
        g.started = time.perf_counter()
        g.request_id = request.headers.get("X-Request-Id", "")[:64] or uuid.uuid4().hex
        if settings.auth_enabled and request.path not in OPEN_PATHS:
            check_key(request.headers.get(HEADER), settings.api_keys)

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
