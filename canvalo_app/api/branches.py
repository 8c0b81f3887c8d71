"""Branches: regenerate an answer, edit a message, switch the active branch.

Regenerating and editing stream the new answer exactly as POST /api/chat/stream does (the
same events, resumable and stoppable); the old versions are kept, and GET
/api/conversations/{id} lists each message's `sibling_ids` to switch between.
"""

from __future__ import annotations

from flask import Blueprint, current_app, g

from ..auth import require_auth
from ..engine.branches import edit_message, regenerate_answer, switch_branch
from .chat import EVENTS, answer_stream, last_event_id_header
from .conversations import owned_conversation, with_messages
from .decorators import body, query, rate_limited, response, streams
from .event_schemas import STREAM_EVENTS
from .schemas import (
    BranchSwitchSchema,
    ConversationDetailSchema,
    ConversationGetQuery,
    MessageEditSchema,
)
from .usage import within_token_quota

bp = Blueprint("branches", __name__, url_prefix="/api")
CONVERSATION = "/conversations/<uuid:conversation_id>"
MESSAGE = f"{CONVERSATION}/messages/<uuid:message_id>"


@bp.post(f"{MESSAGE}/regenerate")
@require_auth
@rate_limited("RATE_LIMIT_CHAT")
@within_token_quota
@streams(EVENTS, STREAM_EVENTS, last_event_id=False)
def regenerate(conversation_id, message_id):
    """Write the last answer of the active branch again and stream the new one; the old
    answer is kept as its sibling. 409 NOT_THE_LAST_ANSWER for any other answer,
    WRONG_MESSAGE_ROLE for a user message."""
    owned_conversation(conversation_id)
    generation = regenerate_answer(
        current_app._get_current_object(), g.identity, str(conversation_id), str(message_id)
    )
    return answer_stream(generation, False, None)


@bp.post(f"{MESSAGE}/edit")
@require_auth
@rate_limited("RATE_LIMIT_CHAT")
@within_token_quota
@body(MessageEditSchema())
@streams(EVENTS, STREAM_EVENTS)
def edit(conversation_id, message_id, body):
    """Send a new version of a user message and stream its answer; the old version and
    what followed it stay on their own branch. 409 WRONG_MESSAGE_ROLE for an answer."""
    last_event_id = last_event_id_header()
    owned_conversation(conversation_id)
    client_message_id = body["client_message_id"]
    generation, attached = edit_message(
        current_app._get_current_object(),
        g.identity,
        str(conversation_id),
        str(message_id),
        body["message"],
        str(client_message_id) if client_message_id else None,
    )
    return answer_stream(generation, attached, last_event_id)


@bp.post(f"{CONVERSATION}/branch")
@require_auth
@query(ConversationGetQuery())
@body(BranchSwitchSchema())
@response(ConversationDetailSchema())
def switch(conversation_id, query, body):
    """Make the branch through a message the active one (down to the newest child at each
    step); the conversation with a page of that branch, as GET returns it."""
    owned_conversation(conversation_id)
    switched = switch_branch(
        current_app._get_current_object(),
        g.identity,
        str(conversation_id),
        str(body["message_id"]),
    )
    return with_messages(switched, query["message_limit"], query["message_offset"])
