"""Errors the API turns into JSON responses in one handler."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """Root of the API's errors: an HTTP status, a machine code and a message for people."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra
        self.headers: dict[str, str] = {}

    def body(self) -> dict[str, Any]:
        """Return the JSON body of the error response."""
        # `code` repeats `error` for Segment-style SDKs (RudderStack's reads `code` and `message`).
        return {"error": self.code, "code": self.code, "message": self.message, **self.extra}


class Unauthorized(ApiError):
    status, code = 401, "unauthorized"


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class NotFound(ApiError):
    status, code = 404, "not_found"


class RequestTimeout(ApiError):
    status, code = 408, "request_timeout"


class PayloadTooLarge(ApiError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(ApiError):
    status, code = 415, "unsupported_media_type"


class Unavailable(ApiError):
    """A service the answer depends on cannot be reached now: 503 with Retry-After."""

    status, code = 503, "unavailable"

    def __init__(self, message: str, retry_after_s: int, **extra: Any) -> None:
        super().__init__(message, **extra)
        self.headers["Retry-After"] = str(retry_after_s)


class KafkaUnavailable(Unavailable):
    """Kafka could not take the events durably; nothing unacknowledged is reported as accepted."""

    code = "kafka_unavailable"


class ErasureUnavailable(Unavailable):
    """The erasure log cannot be reached (or erasure is not configured): retry later."""

    code = "erasure_unavailable"


class RateLimited(ApiError):
    """The client sent more requests than its limit allows; it should wait and retry."""

    status, code = 429, "rate_limited"

    def __init__(self, message: str, retry_after_s: int, **extra: Any) -> None:
        super().__init__(message, retry_after_s=retry_after_s, **extra)
        self.headers["Retry-After"] = str(retry_after_s)
