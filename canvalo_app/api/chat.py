"""Chat: send a message and stream the answer; resume a stream; stop a generation."""

from __future__ import annotations

import re

from flask import Blueprint, current_app, g, request

from ..auth import require_auth
from ..engine.send import send_message
from ..errors import AppError
from ..extensions import user_store
from ..sse import sse_response
from .decorators import body, query, rate_limited, response, streams
from .schemas import ChatStreamSchema, EventsQuery, MessageSchema

bp = Blueprint("chat", __name__, url_prefix="/api/chat")
EVENTS = (
    "start, agent, token, tool_call, tool_result, confirmation_required, then complete or error"
)
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
@body(ChatStreamSchema())
@streams(EVENTS)
def stream(body):
    """Send a message and stream the answer as Server-Sent Events."""
    generation = send_message(
        current_app._get_current_object(),
        g.identity,
        body["message"],
        str(body["conversation_id"]) if body["conversation_id"] else None,
        str(body["client_message_id"]) if body["client_message_id"] else None,
    )
    return sse_response(generation, 0, current_app.config["HEARTBEAT_SECONDS"])


@bp.get("/generations/<uuid:generation_id>/events")
@require_auth
@query(EventsQuery())
@streams(EVENTS)
def events(generation_id, query):
    """Replay a generation's events after Last-Event-ID (or ?after=), then follow it live."""
    generation = owned_generation(generation_id)
    after = query["after"] or 0
    last_event_id = request.headers.get("Last-Event-ID")
    if last_event_id is not None:
        if not EVENT_ID.fullmatch(last_event_id.strip()):
            raise AppError(
                "VALIDATION_ERROR", details={"fields": {"Last-Event-ID": ["Must be an event id."]}}
            )
        after = int(last_event_id)
    return sse_response(generation, after, current_app.config["HEARTBEAT_SECONDS"])


@bp.post("/generations/<uuid:generation_id>/stop")
@require_auth
@response(MessageSchema())
def stop(generation_id):
    """Stop a running generation; the partial answer is kept. Returns the assistant message."""
    generation = owned_generation(generation_id)
    generation.request_stop("user")
    generation.wait_finished(timeout=STOP_WAIT_SECONDS)
    return user_store().get_message(generation.message_id)
