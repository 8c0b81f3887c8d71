"""The one translation table: every error code the service reports, its HTTP status, the
message a developer reads, the words a user reads, whether a retry may help, and what to do.
It is the only place that writes text a user reads (canvalo_app/errors.py uses it)."""

from __future__ import annotations

from typing import NamedTuple


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
    "METRICS_TOKEN_INVALID": ErrorKind(
        401, "GET /metrics needs Authorization: Bearer <METRICS_TOKEN>.",
        "This page is for the service's monitoring only.",
        False, ("Use the metrics token the service was configured with",)),
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
    "MESSAGE_NOT_FOUND": ErrorKind(
        404, "No such message in this conversation.",
        "We couldn't find that message.",
        False, ("Reload the conversation",)),
    "CONFIRMATION_INVALID": ErrorKind(
        404, "The confirmation token is unknown, altered, expired or another user's.",
        "That confirmation is no longer valid. Please start again.",
        False, ("Ask for a new confirmation",)),
    "METHOD_NOT_ALLOWED": ErrorKind(
        405, "Method not allowed on this route.",
        "Something went wrong. Please try again.",
        False, ()),
    "CONVERSATION_BUSY": ErrorKind(
        409, "A reply is already being generated in this conversation.",
        "I'm still answering your last message.",
        True, ("Wait for the current answer", "Stop the current answer")),
    "NOT_THE_LAST_ANSWER": ErrorKind(
        409, "Only the last answer of the active branch can be regenerated.",
        "Only the latest answer can be regenerated.",
        False, ("Reload the conversation",)),
    "WRONG_MESSAGE_ROLE": ErrorKind(
        409, "This operation needs a message of the other role (edit: a user message; "
        "feedback, regenerate: an answer).",
        "That can't be done to this message.",
        False, ()),
    "DUPLICATE_MESSAGE": ErrorKind(
        409, "This client_message_id was already answered.",
        "That message was already sent.",
        False, ("Reload the conversation",)),
    "ACTION_ALREADY_RESOLVED": ErrorKind(
        409, "The action was already confirmed, cancelled or failed.",
        "That request was already handled.",
        False, ()),
    "ACTION_EXPIRED": ErrorKind(
        409, "The action expired before it was confirmed.",
        "That request expired. Ask me again if you still want it.",
        False, ("Ask again",)),
    "ACTION_IN_PROGRESS": ErrorKind(
        409, "The action is being carried out, or its run was cut off (status executing); it "
        "is never run twice.",
        "That's already under way. If it doesn't finish, check the record before asking again.",
        False, ("Refresh to see the result",)),
    "ACTION_FAILED": ErrorKind(
        409, "The action could not be carried out; see details.reason. It is now failed.",
        "That couldn't be done, so nothing was changed. Ask me again if you still want it.",
        False, ("Ask again",)),
    "ACTION_INTERRUPTED": ErrorKind(
        503, "The store failed while the action ran; nothing was changed and it is pending "
        "again.",
        "We couldn't reach your data, so nothing was changed. You can confirm it again.",
        True, ("Confirm again in a moment",)),
    "ACTION_OUTCOME_UNKNOWN": ErrorKind(
        503, "The store failed before the action's outcome was saved; it stays executing and "
        "is not run again.",
        "We lost touch with your data while doing that. Check whether it was done before "
        "asking again.",
        False, ("Check the record", "Ask again if it was not done")),
    "MALFORMED_REQUEST": ErrorKind(
        400, "The HTTP request could not be read.",
        "Something went wrong sending that. Please try again.",
        False, ("Try again",)),
    "URI_TOO_LONG": ErrorKind(
        414, "The request line is too long.",
        "Something went wrong sending that. Please try again.",
        False, ()),
    "HEADERS_TOO_LARGE": ErrorKind(
        431, "The request headers are too large or too many.",
        "Something went wrong sending that. Please try again.",
        False, ()),
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
    "QUOTA_EXCEEDED": ErrorKind(
        429, "The monthly token quota is used up.",
        "You've used this month's assistant allowance. It starts over on the 1st.",
        False, ("Wait for the quota to reset", "Ask the account owner to raise the quota")),
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


def envelope(code: str, request_id: str, message: str | None = None, details=None) -> dict:
    """The JSON body of every error answer: the row of `code`, and this request's id."""
    kind = ERRORS[code]
    return {
        "error": {
            "code": code,
            "message": message or kind.message,
            "user_message": kind.user_message,
            "retryable": kind.retryable,
            "suggested_actions": list(kind.suggested_actions),
            "details": details or {},
            "request_id": request_id,
        }
    }
