"""Chat: send a message and stream the answer; resume a stream; stop a generation."""

from __future__ import annotations

import re

from flask import Blueprint, current_app, g, request

from ..auth import require_auth, require_auth_or_ticket
from ..engine.send import send_message
from ..errors import AppError
from ..extensions import user_store
from ..sse import sse_response
from .decorators import body, query, rate_limited, response, streams
from .event_schemas import STREAM_EVENTS
from .schemas import ChatStreamSchema, EventsQuery, MessageSchema
from .usage import within_token_quota

bp = Blueprint("chat", __name__, url_prefix="/api/chat")
EVENTS = (
    "Server-Sent Events: start, agent, token, tool_call, tool_result, stat_data, "
    "confirmation_required, then complete or error; on a conversation's first turn also "
    "title, anywhere before the terminal event, when the model's title arrives in time. "
    "Each has `event:` (its type), one `data:` line of JSON (StreamEvent) and `id:`; a "
    "`: ping` comment line keeps a silent connection open."
)
#: A reconnection after the terminal event: nothing more will come (EventSource stops).
NOTHING_MORE = {"204": {"description": "The generation ended and every event was sent."}}
#: An event id as sent back in Last-Event-ID: ASCII digits only.
EVENT_ID = re.compile(r"[0-9]{1,9}")
#: A stop ends the generation within a fraction of a second, its row saved; this only covers
#: a slow final save (the message is returned as it then stands).
STOP_WAIT_SECONDS = 3.0


def owned_generation(generation_id):
    generation = current_app.extensions["generations"].get(str(generation_id), g.identity.user_id)
    if generation is None:
        raise AppError("GENERATION_NOT_FOUND")
    return generation


@bp.post("/stream")
@require_auth
@rate_limited("RATE_LIMIT_CHAT")
@within_token_quota
@body(ChatStreamSchema())
@streams(EVENTS, STREAM_EVENTS)
def stream(body):
    """Send a message and stream the answer as Server-Sent Events."""
    last_event_id = last_event_id_header()
    generation, attached = send_message(
        current_app._get_current_object(),
        g.identity,
        body["message"],
        str(body["conversation_id"]) if body["conversation_id"] else None,
        str(body["client_message_id"]) if body["client_message_id"] else None,
    )
    return answer_stream(generation, attached, last_event_id)


def answer_stream(generation, attached: bool, last_event_id: int | None):
    """The SSE response of a generation just started (a send, a regenerated answer, an
    edited message). A retry of the same request (same client_message_id) that says what it
    has already seen gets only what came after, behind the `start` event."""
    after = last_event_id if attached and last_event_id is not None else 0
    return sse_response(generation, after, current_app.config["HEARTBEAT_SECONDS"], start=True)


def last_event_id_header() -> int | None:
    """The Last-Event-ID a reconnecting client sends: ASCII digits only, else a 422."""
    value = request.headers.get("Last-Event-ID")
    if value is None:
        return None
    if not EVENT_ID.fullmatch(value.strip()):
        raise AppError(
            "VALIDATION_ERROR", details={"fields": {"Last-Event-ID": ["Must be an event id."]}}
        )
    return int(value)


@bp.get("/generations/<uuid:generation_id>/events")
@require_auth_or_ticket
@query(EventsQuery())
@streams(EVENTS, STREAM_EVENTS, other=NOTHING_MORE)
def events(generation_id, query):
    """Replay a generation's events after Last-Event-ID (or ?after=), then follow it live.
    Opens with a bearer token, or with the `start` event's `resume_url` (its `?ticket=`).
    A 204 once the generation has ended and nothing is left to send."""
    generation = owned_generation(generation_id)
    last_event_id = last_event_id_header()
    after = last_event_id if last_event_id is not None else query["after"] or 0
    waiting, ended = generation.wait(after, 0)
    if ended and not waiting:
        return "", 204
    return sse_response(generation, after, current_app.config["HEARTBEAT_SECONDS"])


@bp.post("/generations/<uuid:generation_id>/stop")
@require_auth
@response(MessageSchema())
def stop(generation_id):
    """Stop a running generation; the partial answer is kept. Returns the assistant message."""
    generation = owned_generation(generation_id)
    generation.request_stop("user")
    generation.wait_finished(timeout=STOP_WAIT_SECONDS)
    return user_store().message_with_siblings(generation.message_id)
