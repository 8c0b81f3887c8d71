"""Conversations: list, create, read with messages, rename, delete — the caller's only."""

from __future__ import annotations

from flask import Blueprint

from ..auth import require_auth
from ..errors import AppError
from ..extensions import user_store
from .decorators import body, query, response
from .schemas import (
    ConversationCreateSchema,
    ConversationDetailSchema,
    ConversationGetQuery,
    ConversationListQuery,
    ConversationPageSchema,
    ConversationRenameSchema,
    ConversationSchema,
    DeletedSchema,
)

bp = Blueprint("conversations", __name__, url_prefix="/api/conversations")


def owned_conversation(conversation_id) -> dict:
    """The caller's conversation, or 404 — also when it belongs to someone else."""
    conversation = user_store().get_conversation(str(conversation_id))
    if conversation is None:
        raise AppError("CONVERSATION_NOT_FOUND")
    return conversation


@bp.get("")
@require_auth
@query(ConversationListQuery())
@response(ConversationPageSchema())
def list_conversations(query):
    """The caller's conversations, newest activity first."""
    rows, total = user_store().list_conversations(query["limit"], query["offset"], query["q"])
    return {
        "conversations": rows,
        "total": total,
        "limit": query["limit"],
        "offset": query["offset"],
        "has_more": query["offset"] + len(rows) < total,
    }


@bp.post("")
@require_auth
@body(ConversationCreateSchema())
@response(ConversationSchema(), 201, "Created")
def create_conversation(body):
    """Start an empty conversation. A title given here is the user's: no model title
    replaces it."""
    return user_store().create_conversation(
        body["title"], body["metadata"], title_source=body["title_source"]
    )


@bp.get("/<uuid:conversation_id>")
@require_auth
@query(ConversationGetQuery())
@response(ConversationDetailSchema())
def get_conversation(conversation_id, query):
    """One conversation with a page of its active branch, oldest first: each message with
    its `parent_id` and `sibling_ids` (its versions, to switch between)."""
    conversation = owned_conversation(conversation_id)
    return with_messages(conversation, query["message_limit"], query["message_offset"])


def with_messages(conversation: dict, limit: int, offset: int) -> dict:
    """The conversation with a page of its active branch, as GET returns it."""
    messages, total = user_store().list_messages(conversation["id"], limit, offset)
    return {
        **conversation,
        "messages": messages,
        "message_total": total,
        "message_limit": limit,
        "message_offset": offset,
        "has_more_messages": offset + len(messages) < total,
    }


@bp.patch("/<uuid:conversation_id>")
@require_auth
@body(ConversationRenameSchema())
@response(ConversationSchema())
def rename_conversation(conversation_id, body):
    """Rename a conversation. The title is the user's from now on: no model title
    replaces it."""
    renamed = user_store().rename_conversation(str(conversation_id), body["title"])
    if renamed is None:
        raise AppError("CONVERSATION_NOT_FOUND")
    return renamed


@bp.delete("/<uuid:conversation_id>")
@require_auth
@response(DeletedSchema())
def delete_conversation(conversation_id):
    """Delete a conversation and its messages."""
    if not user_store().delete_conversation(str(conversation_id)):
        raise AppError("CONVERSATION_NOT_FOUND")
    return {"status": "deleted", "conversation_id": str(conversation_id)}
