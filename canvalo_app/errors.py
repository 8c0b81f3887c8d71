"""One error hierarchy, one translation table, one set of handlers.

Every failure the service reports — a JSON error response or an SSE `error` event — is an
`AppError` whose `code` selects a row of `ERRORS`. That table is the only place that writes
text a user reads; nothing else in the code does.
"""

from __future__ import annotations

import logging
from typing import NamedTuple

from flask import Flask, jsonify
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from .logs import current_request_id

log = logging.getLogger(__name__)


class ErrorKind(NamedTuple):
    status: int
    message: str
    user_message: str
    retryable: bool = False
    suggested_actions: tuple[str, ...] = ()


_TRY_AGAIN = ("Try again in a moment",)
_SIGN_IN = ("Sign in again",)

# fmt: off
ERRORS: dict[str, ErrorKind] = {
    "BAD_REQUEST": ErrorKind(
        400, "The request body is not valid JSON.",
        "Something went wrong sending that. Please try again.",
        False, ("Try again",)),
    "AUTH_REQUIRED": ErrorKind(
        401, "An Authorization: Bearer token is required.",
        "Please sign in to continue.",
        False, _SIGN_IN),
    "TOKEN_EXPIRED": ErrorKind(
        401, "The token has expired.",
        "Your session has expired. Please sign in again.",
        False, _SIGN_IN),
    "TOKEN_INVALID": ErrorKind(
        401, "The token is malformed or lacks required claims.",
        "Please sign in again.",
        False, _SIGN_IN),
    "TOKEN_SIGNATURE_INVALID": ErrorKind(
        401, "The token signature could not be verified.",
        "Please sign in again.",
        False, _SIGN_IN),
    "TOKEN_ALGORITHM_NOT_ALLOWED": ErrorKind(
        401, "The token's signing algorithm is not accepted.",
        "Please sign in again.",
        False, _SIGN_IN),
    "TOKEN_AUDIENCE_INVALID": ErrorKind(
        401, "The token was not issued for this service.",
        "Please sign in again.",
        False, _SIGN_IN),
    "TOKEN_ROLE_NOT_ALLOWED": ErrorKind(
        401, "Only a user's access token is accepted, not API keys or anonymous tokens.",
        "Please sign in again.",
        False, _SIGN_IN),
    "TICKET_INVALID": ErrorKind(
        401, "The resume ticket is invalid, expired, or for another generation.",
        "This answer can no longer be followed here. Reload the conversation.",
        False, ("Reload the conversation",)),
    "AUTH_UNAVAILABLE": ErrorKind(
        503, "The signing keys could not be fetched.",
        "We couldn't check your sign-in just now.",
        True, _TRY_AGAIN),
    "FORBIDDEN": ErrorKind(
        403, "You may not act for another user.",
        "You don't have access to that.",
        False, ()),
    "NOT_FOUND": ErrorKind(
        404, "No such resource.",
        "We couldn't find that.",
        False, ()),
    "CONVERSATION_NOT_FOUND": ErrorKind(
        404, "Conversation not found.",
        "We couldn't find that conversation.",
        False, ("Refresh your conversation list",)),
    "GENERATION_NOT_FOUND": ErrorKind(
        404, "Generation not found or no longer replayable.",
        "That reply is no longer available to resume.",
        False, ("Reload the conversation",)),
    "ACTION_NOT_FOUND": ErrorKind(
        404, "Action not found.",
        "We couldn't find that request to confirm.",
        False, ()),
    "METHOD_NOT_ALLOWED": ErrorKind(
        405, "Method not allowed on this route.",
        "Something went wrong. Please try again.",
        False, ()),
    "CONVERSATION_BUSY": ErrorKind(
        409, "A reply is already being generated in this conversation.",
        "I'm still answering your last message.",
        True, ("Wait for the current answer", "Stop the current answer")),
    "DUPLICATE_MESSAGE": ErrorKind(
        409, "This client_message_id was already answered.",
        "That message was already sent.",
        False, ("Reload the conversation",)),
    "ACTION_ALREADY_RESOLVED": ErrorKind(
        409, "The action was already confirmed or cancelled.",
        "That request was already handled.",
        False, ()),
    "ACTION_EXPIRED": ErrorKind(
        409, "The action expired before it was confirmed.",
        "That request expired. Ask me again if you still want it.",
        False, ("Ask again",)),
    "PAYLOAD_TOO_LARGE": ErrorKind(
        413, "The request body is too large.",
        "That message is too long to send.",
        False, ("Shorten your message",)),
    "VALIDATION_ERROR": ErrorKind(
        422, "The request has invalid fields; see details.",
        "Something in that request wasn't right.",
        False, ("Check what you entered",)),
    "RATE_LIMITED": ErrorKind(
        429, "Too many requests.",
        "You're sending messages faster than I can keep up. Please wait a moment.",
        True, _TRY_AGAIN),
    "INTERNAL_ERROR": ErrorKind(
        500, "An unexpected error occurred.",
        "Something went wrong on our side. Please try again.",
        True, _TRY_AGAIN),
    "STORE_UNAVAILABLE": ErrorKind(
        503, "The database is unavailable.",
        "We can't reach your data right now. Nothing was sent.",
        True, _TRY_AGAIN),
    "ENGINE_UNAVAILABLE": ErrorKind(
        503, "The generation state (Redis) is unavailable.",
        "The chat service is briefly unavailable. What you've seen so far is saved.",
        True, _TRY_AGAIN),
    "WORKER_LOST": ErrorKind(
        503, "The server writing this answer stopped; another server closed the answer.",
        "The server writing this answer went away. What you saw so far is saved.",
        True, ("Send your message again",)),
    "SERVICE_NOT_READY": ErrorKind(
        503, "A dependency is not ready; see details.checks.",
        "The assistant is starting up or unavailable.",
        True, _TRY_AGAIN),
    "SHUTTING_DOWN": ErrorKind(
        503, "The server is restarting.",
        "We're restarting a server. Your answer so far is saved.",
        True, ("Reload the conversation",)),
    "DEADLINE_EXCEEDED": ErrorKind(
        504, "The turn exceeded its time limit.",
        "That took too long, so I stopped. What I had so far is saved.",
        True, ("Try a simpler request", "Try again")),
    "TURN_LIMIT_REACHED": ErrorKind(
        500, "The turn reached its tool or model call limit.",
        "That needed more steps than I'm allowed in one go.",
        False, ("Break the request into smaller steps",)),
    "MODEL_THROTTLED": ErrorKind(
        503, "The model provider is throttling requests.",
        "The assistant is busy right now. Please try again shortly.",
        True, _TRY_AGAIN),
    "MODEL_UNAVAILABLE": ErrorKind(
        503, "The model provider is unavailable.",
        "The assistant is unavailable right now.",
        True, _TRY_AGAIN),
    "MODEL_TIMEOUT": ErrorKind(
        504, "The model provider did not answer in time.",
        "The assistant took too long to answer.",
        True, _TRY_AGAIN),
    "MODEL_CONNECTION_LOST": ErrorKind(
        502, "The connection to the model provider was lost.",
        "The connection to the assistant dropped.",
        True, _TRY_AGAIN),
    "MODEL_STREAM_INCOMPLETE": ErrorKind(
        502, "The model stream ended without finishing.",
        "The assistant's answer was cut off.",
        True, _TRY_AGAIN),
    "MODEL_REQUEST_INVALID": ErrorKind(
        502, "The model provider rejected the request.",
        "I couldn't process that request.",
        False, ("Rephrase your message", "Start a new conversation")),
    "MODEL_ACCESS_DENIED": ErrorKind(
        502, "The model provider denied access.",
        "The assistant isn't available for your account right now.",
        False, ("Contact support",)),
    "MODEL_NOT_FOUND": ErrorKind(
        502, "The configured model was not found.",
        "The assistant isn't available right now.",
        False, ("Contact support",)),
    "MODEL_ERROR": ErrorKind(
        502, "The model failed to produce an answer.",
        "The assistant couldn't finish that answer.",
        False, ("Try again", "Rephrase your message")),
}
# fmt: on


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
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "user_message": self.user_message,
                "retryable": self.retryable,
                "suggested_actions": self.suggested_actions,
                "details": self.details,
                "request_id": current_request_id(),
            }
        }

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
    as a retry would, so the retry policy does not wait again (the client may still retry)."""

    def __init__(self, message: str | None = None, *, waited: bool = False):
        super().__init__("STORE_UNAVAILABLE", message)
        self.waited = waited


_HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "AUTH_REQUIRED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONVERSATION_BUSY",
    413: "PAYLOAD_TOO_LARGE",
    422: "VALIDATION_ERROR",
    429: "RATE_LIMITED",
    503: "STORE_UNAVAILABLE",
}


def from_http_exception(exc: HTTPException) -> AppError:
    code = _HTTP_CODES.get(exc.code or 500, "INTERNAL_ERROR")
    headers = {}
    if exc.code == 405 and getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(exc.valid_methods)
    return AppError(code, headers=headers)


def error_response(error: AppError):
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
