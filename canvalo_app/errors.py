"""One error hierarchy, one translation table, one set of handlers.

Every failure the service reports — a JSON error response or an SSE `error` event — is an
`AppError` whose `code` selects a row of `ERRORS` (canvalo_app/error_table.py). That table
is the only place that writes text a user reads; nothing else in the code does.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from .error_table import ERRORS, envelope
from .logs import current_request_id
from .metrics import error_answered

log = logging.getLogger(__name__)


class AppError(Exception):
    """A failure with a row in `ERRORS`; `details` carries field errors and safe context."""

    def __init__(
        self,
        code: str,
        message: str | None = None,
        *,
        details: dict | None = None,
        headers: dict | None = None,
    ):
        kind = ERRORS[code]
        super().__init__(message or kind.message)
        self.code = code
        self.status = kind.status
        self.message = message or kind.message
        self.user_message = kind.user_message
        self.retryable = kind.retryable
        self.suggested_actions = list(kind.suggested_actions)
        self.details = details or {}
        self.headers = headers or {}

    def envelope(self) -> dict:
        return envelope(self.code, current_request_id(), self.message, self.details)

    def event_data(self) -> dict:
        """The fields of a terminal SSE `error` event."""
        return {
            "code": self.code,
            "error": self.user_message,
            "retryable": self.retryable,
            "suggested_actions": self.suggested_actions,
        }


class StoreUnavailable(AppError):
    """The store could not be reached; retryable. `waited`: the call already waited as long
    as a retry would, so the retry policy does not wait again (the client may still retry).
    `maybe_written`: a request may have reached the store and been carried out, only its
    answer was lost (a read timeout), so a write cannot be taken as not done."""

    def __init__(
        self, message: str | None = None, *, waited: bool = False, maybe_written: bool = False
    ):
        super().__init__("STORE_UNAVAILABLE", message)
        self.waited = waited
        self.maybe_written = maybe_written


_HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "AUTH_REQUIRED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONVERSATION_BUSY",
    413: "PAYLOAD_TOO_LARGE",
    414: "URI_TOO_LONG",
    422: "VALIDATION_ERROR",
    429: "RATE_LIMITED",
    431: "HEADERS_TOO_LARGE",
    503: "STORE_UNAVAILABLE",
}


def from_http_exception(exc: HTTPException) -> AppError:
    code = _HTTP_CODES.get(exc.code or 500, "INTERNAL_ERROR")
    headers = {}
    if exc.code == 405 and getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(exc.valid_methods)
    return AppError(code, headers=headers)


def status_of(exc: BaseException) -> int:
    """The HTTP status the handlers below answer `exc` with."""
    if isinstance(exc, AppError):
        return exc.status
    if isinstance(exc, ValidationError):
        return 422
    if isinstance(exc, HTTPException):
        return from_http_exception(exc).status
    return 500


def error_response(error: AppError):
    error_answered(error.code)
    response = jsonify(error.envelope())
    response.status_code = error.status
    for name, value in error.headers.items():
        response.headers[name] = value
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(AppError)
    def handle_app_error(error: AppError):
        if error.status >= 500:
            log.warning("request failed: %s %s", error.code, error.message)
        return error_response(error)

    @app.errorhandler(ValidationError)
    def handle_validation_error(error: ValidationError):
        messages = (
            error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
        )
        return error_response(AppError("VALIDATION_ERROR", details={"fields": messages}))

    @app.errorhandler(HTTPException)
    def handle_http_exception(error: HTTPException):
        return error_response(from_http_exception(error))

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        log.exception("unhandled error")
        return error_response(AppError("INTERNAL_ERROR"))
