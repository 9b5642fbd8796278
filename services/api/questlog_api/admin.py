"""Admin routes (header X-Admin-Key): player erasure requests and their status.

Admin bodies hold player ids: they are never dead-lettered, and the log names a player by hash only.
"""

from __future__ import annotations

from typing import Any

import orjson
from flask import Blueprint, Response, current_app, request
from questlog_core.erasure import ErasureError

from questlog_api.auth import key_matches
from questlog_api.erasures import Erasures
from questlog_api.errors import ApiError, ErasureUnavailable, NotFound, Unauthorized

bp = Blueprint("admin", __name__, url_prefix="/v1/admin")

ADMIN_HEADER = "X-Admin-Key"
PREFIX = "/v1/admin/"


def check_admin(headers: Any, keys: tuple[str, ...]) -> None:
    """Refuse (401) a request without a valid admin key; with no admin key configured, every request."""
    if not keys or not key_matches(headers.get(ADMIN_HEADER), keys):
        raise Unauthorized(f"missing or invalid {ADMIN_HEADER} header")


def _erasures() -> Erasures:
    erasures: Erasures | None = current_app.extensions.get("questlog.erasures")
    if erasures is None:
        settings = current_app.config["QUESTLOG"]
        raise ErasureUnavailable(
            f"erasure is not configured: the privacy key {settings.privacy_key_file} cannot be read "
            "(QUESTLOG_API_PRIVACY_KEY_FILE)",
            settings.retry_after_s,
        )
    return erasures


def _answer(body: dict[str, Any], status: int) -> Response:
    return Response(orjson.dumps(body), status, mimetype="application/json")


def _user_id(limit: int) -> str:
    try:
        doc = orjson.loads(request.get_data(cache=False) or b"null")
    except orjson.JSONDecodeError as exc:
        raise ApiError(f"body is not valid JSON: {exc}") from exc
    user_id = doc.get("user_id") if isinstance(doc, dict) else None
    if not isinstance(user_id, str) or not user_id.strip():
        raise ApiError('body must be {"user_id": "<the player\'s id>"}', field="user_id")
    if len(user_id) > limit:
        raise ApiError(f"user_id is longer than {limit} characters", field="user_id")
    return user_id


@bp.post("/erasures")
def request_erasure() -> Response:
    """Record an erasure request (202); the same player twice gets the same erasure."""
    settings = current_app.config["QUESTLOG"]
    erasures = _erasures()
    user_id = _user_id(current_app.extensions["questlog.ingestor"].user_id_limit)
    try:
        erasure = erasures.request(user_id)
    except ErasureError as exc:
        raise ErasureUnavailable(f"the erasure log cannot be written: {exc}", settings.retry_after_s) from exc
    return _answer({"erasure_id": erasure.erasure_id, "status": erasure.status}, 202)


@bp.get("/erasures/<erasure_id>")
def erasure_status(erasure_id: str) -> Response:
    """Report an erasure's status and the rows it deleted per table (counts only, never data)."""
    settings = current_app.config["QUESTLOG"]
    try:
        erasure = _erasures().get(erasure_id)
    except ErasureError as exc:
        raise ErasureUnavailable(f"the erasure log cannot be read: {exc}", settings.retry_after_s) from exc
    if erasure is None:
        raise NotFound(f"no erasure {erasure_id!r}")
    return _answer(erasure.public(), 200)
