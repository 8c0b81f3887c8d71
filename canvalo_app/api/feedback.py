"""Feedback on an answer: thumbs up or down with an optional comment, kept with the answer
(its `feedback` in GET /api/conversations/{id}), changeable, and counted in /metrics."""

from __future__ import annotations

from flask import Blueprint
from marshmallow import fields, post_load, validate

from ..auth import require_auth
from ..errors import AppError
from ..extensions import user_store
from ..metrics import feedback_given
from ..store.annotations import FEEDBACK_RATINGS
from .conversations import owned_conversation
from .decorators import body, response
from .feedback_schemas import COMMENT_CHARS, FeedbackClearedSchema, FeedbackSchema
from .schemas import StrictSchema, one_of

bp = Blueprint("feedback", __name__, url_prefix="/api")
FEEDBACK = "/conversations/<uuid:conversation_id>/messages/<uuid:message_id>/feedback"


class FeedbackBodySchema(StrictSchema):
    rating = fields.String(
        required=True, validate=validate.OneOf(FEEDBACK_RATINGS), metadata=one_of(FEEDBACK_RATINGS)
    )
    comment = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=COMMENT_CHARS),
        metadata={"description": f"At most {COMMENT_CHARS} characters; blank is none."},
    )

    @post_load
    def blank_is_none(self, data: dict, **kwargs) -> dict:
        comment = (data["comment"] or "").strip()
        return {**data, "comment": comment or None}


def owned_answer(conversation_id, message_id) -> dict:
    """The caller's answer `message_id` in their conversation `conversation_id`: 404 when
    either is not theirs or the message is in another conversation, 409 for a user message."""
    owned_conversation(conversation_id)
    message = user_store().get_message(str(message_id))
    if message is None or message["conversation_id"] != str(conversation_id):
        raise AppError("MESSAGE_NOT_FOUND")
    if message["role"] != "assistant":
        raise AppError("WRONG_MESSAGE_ROLE")
    return message


def rating_of(message: dict) -> str | None:
    return (message.get("feedback") or {}).get("rating")


@bp.put(FEEDBACK)
@require_auth
@body(FeedbackBodySchema())
@response(FeedbackSchema())
def give_feedback(conversation_id, message_id, body):
    """Rate an answer up or down, with an optional comment; again to change it."""
    answer = owned_answer(conversation_id, message_id)
    rated = user_store().set_feedback(answer["id"], body["rating"], body["comment"])
    if rated is None:  # deleted with its conversation meanwhile
        raise AppError("MESSAGE_NOT_FOUND")
    feedback_given(body["rating"], rating_of(answer))
    return rated["feedback"]


@bp.delete(FEEDBACK)
@require_auth
@response(FeedbackClearedSchema())
def clear_feedback(conversation_id, message_id):
    """Take back the feedback on an answer (also when there is none)."""
    answer = owned_answer(conversation_id, message_id)
    if user_store().clear_feedback(answer["id"]) is None:
        raise AppError("MESSAGE_NOT_FOUND")
    if rating_of(answer):
        feedback_given(None, rating_of(answer))
    return {
        "status": "deleted",
        "conversation_id": answer["conversation_id"],
        "message_id": answer["id"],
    }
