"""marshmallow schemas for every request body, query string and response of the HTTP API."""

from __future__ import annotations

from flask import current_app
from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, post_load, validate

from ..openapi import ResponseSchema
from .feedback_schemas import FeedbackSchema

#: The largest offset or event id a client may ask for (far past any real data, well inside
#: every store's integer range).
MAX_OFFSET = 1_000_000_000


class StrictSchema(Schema):
    """Request bodies: unknown fields are an error, not silently dropped.

    `user_id`, which older front ends send, is accepted; the `body` decorator refuses it
    (403) unless it is the token's own subject, and drops it.
    """

    class Meta:
        unknown = RAISE

    user_id = fields.String(
        load_default=None,
        allow_none=True,
        load_only=True,
        metadata={"description": "Optional; must equal the token's subject, else 403."},
    )


MESSAGE_ROLES = ("user", "assistant")
MESSAGE_STATUSES = ("streaming", "complete", "interrupted", "error")
TITLE_SOURCES = ("auto", "model", "user")
ACTION_STATUSES = ("pending", "executing", "confirmed", "cancelled", "expired", "failed")


def one_of(values) -> dict:
    """The metadata of a string field that takes one of `values` (an enum in OpenAPI)."""
    return {"enum": list(values)}


class QuerySchema(Schema):
    """Query strings: unknown parameters (cache busters and the like) are ignored."""

    class Meta:
        unknown = EXCLUDE


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("Must not be blank.")


#: What the OpenAPI document says of text that must not be blank.
NOT_BLANK = {"pattern": r"\S", "description": "Not blank."}


class Title(fields.String):
    def __init__(self, **kwargs):
        super().__init__(
            validate=[validate.Length(1, 200), _not_blank], metadata=NOT_BLANK, **kwargs
        )

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


class ConversationCreateSchema(StrictSchema):
    """A title given here is the user's (`title_source` "user": no model title replaces
    it); without one the conversation is "New conversation" until the model titles it
    after the first message."""

    DEFAULT_TITLE = "New conversation"

    title = Title(load_default=None)
    metadata = fields.Dict(keys=fields.String(), load_default=dict)

    @post_load
    def with_title_source(self, data: dict, **kwargs) -> dict:
        given = data["title"] is not None
        return {
            **data,
            "title": data["title"] if given else self.DEFAULT_TITLE,
            "title_source": "user" if given else "auto",
        }


class ConversationRenameSchema(StrictSchema):
    title = Title(required=True)


class ConversationListQuery(QuerySchema):
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 100))
    offset = fields.Integer(load_default=0, validate=validate.Range(0, MAX_OFFSET))
    q = fields.String(load_default=None, validate=validate.Length(max=200))


class ConversationGetQuery(QuerySchema):
    message_limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))
    message_offset = fields.Integer(load_default=0, validate=validate.Range(0, MAX_OFFSET))


class ConversationSchema(ResponseSchema):
    id = fields.String()
    title = fields.String()
    created_at = fields.String()
    updated_at = fields.String()
    last_message_at = fields.String(allow_none=True)
    message_count = fields.Integer()
    metadata = fields.Dict()
    active_leaf_id = fields.String(
        allow_none=True,
        metadata={
            "description": "The last message of the active branch (null before the first message)."
        },
    )
    title_source = fields.String(
        metadata={
            **one_of(TITLE_SOURCES),
            "description": "Where the title came from: `auto`, the default title or the "
            "first message's words; `model`, written by the model after the first message; "
            "`user`, given or renamed by the user (no model title replaces it).",
        }
    )


class MessageSchema(ResponseSchema):
    id = fields.String()
    conversation_id = fields.String()
    role = fields.String(metadata=one_of(MESSAGE_ROLES))
    content = fields.String()
    agent_type = fields.String(allow_none=True)
    status = fields.String(metadata=one_of(MESSAGE_STATUSES))
    metadata = fields.Dict()
    created_at = fields.String()
    parent_id = fields.String(
        allow_none=True, metadata={"description": "The message this one follows (its branch)."}
    )
    sibling_ids = fields.List(
        fields.String(),
        metadata={
            "description": "Every version of this message (regenerated answers, edited "
            "messages), oldest first, this one included; switch with POST .../branch."
        },
    )
    feedback = fields.Nested(FeedbackSchema, allow_none=True)


class ConversationPageSchema(ResponseSchema):
    conversations = fields.List(fields.Nested(ConversationSchema))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()
    has_more = fields.Boolean()


class ConversationDetailSchema(ConversationSchema):
    messages = fields.List(fields.Nested(MessageSchema))
    message_total = fields.Integer()
    message_limit = fields.Integer()
    message_offset = fields.Integer()
    has_more_messages = fields.Boolean()


class DeletedSchema(ResponseSchema):
    status = fields.String(metadata=one_of(["deleted"]))
    conversation_id = fields.String()


def message_text(value: str) -> None:
    """A message the user sends: not blank, at most MAX_MESSAGE_CHARS."""
    limit = current_app.config["MAX_MESSAGE_CHARS"]
    if len(value) > limit:
        raise ValidationError(f"Must be at most {limit} characters.")
    _not_blank(value)


def user_message() -> fields.String:
    """The text of a message the user sends (or edits)."""
    return fields.String(
        required=True,
        validate=[validate.Length(min=1), message_text],
        metadata={**NOT_BLANK, "description": "Not blank; at most MAX_MESSAGE_CHARS (10,000)."},
    )


class ChatStreamSchema(StrictSchema):
    message = user_message()
    conversation_id = fields.UUID(load_default=None, allow_none=True)
    client_message_id = fields.UUID(load_default=None, allow_none=True)
    # Sent by older front ends and ignored: the stored history is the only history.
    history = fields.Raw(load_default=None, allow_none=True)


class MessageEditSchema(StrictSchema):
    message = user_message()
    client_message_id = fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={"description": "Makes the edit idempotent, as for POST /api/chat/stream."},
    )


class BranchSwitchSchema(StrictSchema):
    message_id = fields.UUID(
        required=True,
        metadata={"description": "A message of the conversation: its branch becomes active."},
    )


class EventsQuery(QuerySchema):
    after = fields.Integer(load_default=None, validate=validate.Range(0, MAX_OFFSET))
    ticket = fields.String(
        load_default=None,
        validate=validate.Length(max=512),
        metadata={"description": "A resume ticket, as in the `start` event's `resume_url`."},
    )


class ActionSchema(ResponseSchema):
    id = fields.String()
    conversation_id = fields.String(allow_none=True)
    message_id = fields.String(allow_none=True)
    agent_type = fields.String()
    tool_name = fields.String()
    input = fields.Dict()
    summary = fields.String()
    status = fields.String(metadata=one_of(ACTION_STATUSES))
    result = fields.Dict(allow_none=True)
    expires_at = fields.String()
    resolved_at = fields.String(allow_none=True)
    created_at = fields.String()
