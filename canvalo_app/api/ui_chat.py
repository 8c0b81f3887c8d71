"""The Vercel AI SDK's chat endpoint: `useChat` (DefaultChatTransport) works against it as is.

`POST /api/chat/ui` takes useChat's default body — `id` (the chat), `messages`, `trigger`,
`messageId` — sends the last user message into the conversation the chat id names, or, for
`regenerate()` (`trigger: regenerate-message`), writes the last answer again on a new branch
(engine/branches.py), and answers with the UI message stream (api/ui_protocol.py). The
server's stored history stays the only history: the earlier messages of the body are not
read. `GET /api/chat/ui/{id}/stream` is the AI SDK's reconnect: the running answer from its
start, or 204 when none is running.
"""

from __future__ import annotations

import re
import uuid
from contextlib import suppress

from flask import Blueprint, current_app, g
from marshmallow import ValidationError, fields, post_load, validate

from ..auth import require_auth
from ..engine.branches import regenerate_answer
from ..engine.send import send_message
from ..errors import AppError
from ..extensions import user_store
from ..sse import stream_response
from .decorators import body, rate_limited, streams
from .event_schemas import UI_CHUNKS
from .schemas import StrictSchema, message_text
from .ui_protocol import HEADERS, ui_message_stream
from .usage import within_token_quota

bp = Blueprint("ui_chat", __name__, url_prefix="/api/chat/ui")
#: Chat ids that are not the caller's conversation ids map to conversation ids under this
#: namespace, per user.
CHATS = uuid.UUID("4d1c6f0e-6a55-4b7e-9c2f-3b7d0c1e9a42")
CHAT_ID = re.compile(r"[A-Za-z0-9_-]{1,200}")
UI_STREAM = (
    "The AI SDK UI message stream, protocol v1 (header x-vercel-ai-ui-message-stream: v1): "
    "start, text-start / text-delta / text-end, tool-input-available, tool-output-available "
    "or tool-output-error, data-agent, data-stat, data-confirmation, then finish (or "
    "data-error and error), then `data: [DONE]`."
)
TRIGGERS = ("submit-message", "regenerate-message")
NOT_RUNNING = {"204": {"description": "No answer is being written in this chat."}}


def _chat_id(value: str) -> None:
    if not CHAT_ID.fullmatch(value):
        raise ValidationError("Letters, digits, - and _ only; at most 200.")


class UIChatSchema(StrictSchema):
    id = fields.String(
        required=True,
        validate=_chat_id,
        metadata={
            "description": "The chat: a conversation id, or any id useChat made.",
            "pattern": f"^{CHAT_ID.pattern}$",
        },
    )
    messages = fields.List(
        fields.Dict(),
        required=True,
        validate=validate.Length(1, 1000),
        metadata={"description": "useChat's messages; only the last one (the user's) is read."},
    )
    trigger = fields.String(
        load_default="submit-message",
        validate=validate.OneOf(TRIGGERS),
        metadata={"enum": list(TRIGGERS)},
    )
    messageId = fields.String(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "With regenerate-message: the answer to write again (the "
            "chat's last answer when absent)."
        },
    )

    @post_load
    def last_users_message(self, data, **kwargs):
        """The text and id of the last message, which must be the user's."""
        last = data["messages"][-1]
        if last.get("role") != "user":
            raise ValidationError("The last message must be the user's.", "messages")
        try:
            message_text(text := text_of(last))
        except ValidationError as error:
            raise ValidationError(error.messages, "messages") from error
        message_id = last.get("id")
        return data | {
            "text": text,
            "message_id": message_id if isinstance(message_id, str) else None,
        }


def text_of(message: dict) -> str:
    """The text of a UI message: its text parts, joined."""
    parts = message.get("parts")
    if not isinstance(parts, list):
        raise ValidationError("A message needs a list of parts.", "messages")
    texts = [part for part in parts if isinstance(part, dict) and part.get("type") == "text"]
    if not all(isinstance(part.get("text"), str) for part in texts):
        raise ValidationError("A text part's text must be a string.", "messages")
    return "".join(part["text"] for part in texts)


def conversation_of(chat_id: str, user_id: str, store) -> str:
    """The conversation a chat id names: the caller's conversation of that id, else one
    whose id is made from the user and the chat id. A client never chooses a new row's id,
    so no one can take the id another user's chat will have."""
    with suppress(ValueError):
        if store.get_conversation(str(uuid.UUID(chat_id))) is not None:
            return str(uuid.UUID(chat_id))
    return str(uuid.uuid5(CHATS, f"{user_id}/{chat_id}"))


@bp.post("")
@require_auth
@rate_limited("RATE_LIMIT_CHAT")
@within_token_quota
@body(UIChatSchema())
@streams(UI_STREAM, UI_CHUNKS, name="UIMessageChunk", last_event_id=False, headers=HEADERS)
def send(body):
    """Send useChat's last user message, or write the last answer again (`regenerate()`);
    stream the answer as an AI SDK UI message stream. The chat's conversation is created on
    its first message."""
    user_id = g.identity.user_id
    heartbeat = current_app.config["HEARTBEAT_SECONDS"]
    if body["trigger"] == "regenerate-message":
        generation = regenerate(conversation_of(body["id"], user_id, user_store()), body)
        return stream_response(ui_message_stream(generation, heartbeat), HEADERS)
    same_send = None
    if body["message_id"]:  # the same UI message again (a retry) joins its answer
        same_send = str(uuid.uuid5(CHATS, f"{user_id}/{body['id']}/{body['message_id']}"))
    generation, _ = send_message(
        current_app._get_current_object(),
        g.identity,
        body["text"],
        conversation_of(body["id"], user_id, user_store()),
        same_send,
        create_missing=True,
    )
    return stream_response(ui_message_stream(generation, heartbeat), HEADERS)


def regenerate(conversation_id: str, body: dict):
    """A new version of the chat's last answer (`messageId`, our answer's id as the stream's
    `start` gave it; the active branch's last message when absent): 404 for a chat with no
    conversation, 409 NOT_THE_LAST_ANSWER for an older answer."""
    answer_id = body["messageId"]
    if answer_id is None:
        tree = user_store().message_tree(conversation_id)
        if tree is None:
            raise AppError("CONVERSATION_NOT_FOUND")
        answer_id = tree.leaf_id
    try:
        answer_id = str(uuid.UUID(answer_id or ""))
    except ValueError:
        raise AppError("MESSAGE_NOT_FOUND") from None
    app = current_app._get_current_object()
    return regenerate_answer(app, g.identity, conversation_id, answer_id)


@bp.get("/<chat_id>/stream")
@require_auth
@streams(UI_STREAM, UI_CHUNKS, name="UIMessageChunk", last_event_id=False, other=NOT_RUNNING)
def reconnect(chat_id):
    """Reconnect to the chat's running answer, from its start; 204 when none is running
    (the AI SDK's resumable-stream reconnect)."""
    try:
        _chat_id(chat_id)
    except ValidationError as error:
        raise AppError("VALIDATION_ERROR", details={"fields": {"id": error.messages}}) from None
    user_id = g.identity.user_id
    registry = current_app.extensions["generations"]
    generation = registry.of_conversation(conversation_of(chat_id, user_id, user_store()), user_id)
    if generation is None or generation.wait(0, 0)[1]:  # none, or already over
        return "", 204
    heartbeat = current_app.config["HEARTBEAT_SECONDS"]
    return stream_response(ui_message_stream(generation, heartbeat), HEADERS)
