"""marshmallow schemas of the caller's data as a whole: search, export and deleting
everything (api/search.py, api/export.py, api/account.py)."""

from __future__ import annotations

from marshmallow import fields, validate

from ..openapi import ResponseSchema
from .feedback_schemas import FeedbackSchema
from .schemas import (
    MAX_OFFSET,
    MESSAGE_ROLES,
    MESSAGE_STATUSES,
    NOT_BLANK,
    TITLE_SOURCES,
    QuerySchema,
    StrictSchema,
    _not_blank,
    one_of,
)

#: Conversations in one export of them all; `offset` pages on.
EXPORT_PAGE_MAX = 100
EXPORT_FORMATS = ("json", "markdown")


# Search ------------------------------------------------------------------------------------
class SearchQuery(QuerySchema):
    q = fields.String(
        required=True,
        validate=[validate.Length(1, 200), _not_blank],
        metadata={
            **NOT_BLANK,
            "description": "Words to find (1 to 200 characters), all of them, the last also "
            "as the start of a word. Only letters and digits count: quotes, `*`, `-` and the "
            "like separate words and are never query syntax.",
        },
    )
    limit = fields.Integer(load_default=20, validate=validate.Range(1, 50))
    offset = fields.Integer(load_default=0, validate=validate.Range(0, MAX_OFFSET))


class SearchHitSchema(ResponseSchema):
    conversation_id = fields.String()
    title = fields.String()
    message_id = fields.String(
        allow_none=True, metadata={"description": "The matching message; null: the title."}
    )
    role = fields.String(allow_none=True, metadata=one_of(MESSAGE_ROLES))
    snippet = fields.String(
        metadata={"description": "The matched text near the match, each match «marked»."}
    )
    created_at = fields.String(
        metadata={"description": "When the message was written (a title: last activity)."}
    )


class SearchPageSchema(ResponseSchema):
    results = fields.List(
        fields.Nested(SearchHitSchema),
        metadata={"description": "One per conversation, newest match first."},
    )
    total = fields.Integer(metadata={"description": "Conversations that match."})
    limit = fields.Integer()
    offset = fields.Integer()
    has_more = fields.Boolean()


# Export ------------------------------------------------------------------------------------
class ExportQuery(QuerySchema):
    format = fields.String(
        load_default="json",
        validate=validate.OneOf(EXPORT_FORMATS),
        metadata={
            **one_of(EXPORT_FORMATS),
            "description": "`json` (every message) or `markdown` (the conversation as shown).",
        },
    )


class ExportAllQuery(ExportQuery):
    limit = fields.Integer(
        load_default=EXPORT_PAGE_MAX,
        validate=validate.Range(1, EXPORT_PAGE_MAX),
        metadata={"description": "Conversations in this file, newest activity first."},
    )
    offset = fields.Integer(load_default=0, validate=validate.Range(0, MAX_OFFSET))


class ExportMessageSchema(ResponseSchema):
    id = fields.String()
    conversation_id = fields.String()
    parent_id = fields.String(
        allow_none=True,
        metadata={"description": "The message this one follows (its branch)."},
    )
    role = fields.String(metadata=one_of(MESSAGE_ROLES))
    content = fields.String()
    agent_type = fields.String(allow_none=True)
    status = fields.String(metadata=one_of(MESSAGE_STATUSES))
    metadata = fields.Dict()
    feedback = fields.Nested(FeedbackSchema, allow_none=True)
    created_at = fields.String()
    updated_at = fields.String()


class ExportConversationSchema(ResponseSchema):
    id = fields.String()
    title = fields.String()
    title_source = fields.String(metadata=one_of(TITLE_SOURCES))
    active_leaf_id = fields.String(
        allow_none=True, metadata={"description": "The last message of the branch shown."}
    )
    metadata = fields.Dict()
    message_count = fields.Integer()
    created_at = fields.String()
    updated_at = fields.String()
    last_message_at = fields.String(allow_none=True)
    messages = fields.List(
        fields.Nested(ExportMessageSchema),
        metadata={
            "description": "Every message, every version of it (branches too), oldest first."
        },
    )


class ExportSchema(ResponseSchema):
    exported_at = fields.String()
    conversations = fields.List(fields.Nested(ExportConversationSchema))


class ExportPageSchema(ExportSchema):
    total = fields.Integer(metadata={"description": "All of the caller's conversations."})
    limit = fields.Integer()
    offset = fields.Integer()
    has_more = fields.Boolean()


# Deleting everything -----------------------------------------------------------------------
class DeletionRequestSchema(StrictSchema):
    include_business_records = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Also delete invoices, appointments, projects, proposals, "
            "contacts, reviews, campaigns, tasks, goals and the business settings."
        },
    )


class DataCountsSchema(ResponseSchema):
    conversations = fields.Integer()
    messages = fields.Integer()
    actions = fields.Integer(
        metadata={"description": "Actions the assistant asked to confirm, in any state."}
    )
    business_records = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "Rows per business table; empty unless included."},
    )


class DeletionConfirmationSchema(ResponseSchema):
    confirmation_token = fields.String(
        metadata={"description": "Send it to DELETE /api/account/data to delete."}
    )
    expires_at = fields.String()
    include_business_records = fields.Boolean()
    will_delete = fields.Nested(DataCountsSchema, metadata={"description": "As of now."})


class DataDeletionSchema(StrictSchema):
    confirmation_token = fields.String(required=True, validate=validate.Length(1, 1000))


class DataDeletedSchema(ResponseSchema):
    deleted = fields.Nested(DataCountsSchema)
    include_business_records = fields.Boolean()
