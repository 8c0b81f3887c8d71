"""The feedback a user gives an answer, as responses carry it (the request body is in
api/feedback.py, beside its one endpoint)."""

from __future__ import annotations

from marshmallow import fields

from ..openapi import ResponseSchema
from ..store.annotations import FEEDBACK_RATINGS

#: The longest comment kept with a rating.
COMMENT_CHARS = 2000


class FeedbackSchema(ResponseSchema):
    """The user's rating of one answer, and their comment (None without one)."""

    rating = fields.String(metadata={"enum": list(FEEDBACK_RATINGS)})
    comment = fields.String(allow_none=True)
    updated_at = fields.String(metadata={"description": "When it was last given or changed."})


class FeedbackClearedSchema(ResponseSchema):
    status = fields.String(metadata={"enum": ["deleted"]})
    conversation_id = fields.String()
    message_id = fields.String()
