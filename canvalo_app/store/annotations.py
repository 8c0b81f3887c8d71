"""What the user and the model add to a conversation after the fact: titles and feedback.

A conversation's `title_source` says where its title came from: `auto` (cut from the first
message when the conversation was created, or the default title), `model` (written by the
model after the first message, see agents/titles.py) or `user` (given or renamed by the
user). A model title only ever replaces an `auto` one, in one conditional write, so the
user's own title wins whichever comes first.
"""

from __future__ import annotations

from ..errors import AppError
from .values import Filter, new_id, now_iso

TITLE_SOURCES = ("auto", "model", "user")
FEEDBACK_RATINGS = ("up", "down")
#: Feedback is given on answers only.
ANSWERS = Filter("role", "eq", "assistant")


class Annotations:
    """Mixed into `UserStore`: titles and feedback, on the store's primitives."""

    def create_conversation(
        self,
        title: str,
        metadata: dict | None = None,
        conversation_id: str | None = None,
        title_source: str = "auto",
    ) -> dict:
        """A new conversation; with an id another user's conversation has, a 404."""
        if title_source not in TITLE_SOURCES:
            raise ValueError(f"unknown title source {title_source!r}")
        row = {
            "id": conversation_id or new_id(),
            "title": title,
            "metadata": metadata or {},
            "title_source": title_source,
        }
        try:
            return self._insert("agent_conversations", row)
        except AppError as error:
            if error.code == "NOT_FOUND":
                raise AppError("CONVERSATION_NOT_FOUND") from error
            raise

    def rename_conversation(self, conversation_id: str, title: str) -> dict | None:
        """The user's own title: no model title replaces it."""
        return self._update(
            "agent_conversations", conversation_id, {"title": title, "title_source": "user"}
        )

    def set_model_title(self, conversation_id: str, title: str) -> dict | None:
        """Title the conversation with the model's title if its title is still `auto`; None
        if it was not (the user gave one, or the model already did) or it is gone."""
        return self._update(
            "agent_conversations",
            conversation_id,
            {"title": title, "title_source": "model"},
            [Filter("title_source", "eq", "auto")],
        )

    def set_feedback(self, message_id: str, rating: str, comment: str | None) -> dict | None:
        """Give or change the feedback on one of the user's answers; the message, or None
        if no answer of theirs has that id (a user message has none)."""
        if rating not in FEEDBACK_RATINGS:
            raise ValueError(f"unknown rating {rating!r}")
        feedback = {"rating": rating, "comment": comment, "updated_at": now_iso()}
        return self._update("agent_messages", message_id, {"feedback": feedback}, [ANSWERS])

    def clear_feedback(self, message_id: str) -> dict | None:
        """Take the feedback off one of the user's answers (none is fine); the message, or
        None if no answer of theirs has that id."""
        return self._update("agent_messages", message_id, {"feedback": None}, [ANSWERS])
