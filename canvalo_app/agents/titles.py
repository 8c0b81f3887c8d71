"""A conversation's title, written by the model from the user's first message.

A conversation starts titled with its first message's words (or "New conversation"), its
`title_source` `auto`. On its first turn the generation runs `write_title` beside the answer
(engine/runner.py): one short model call with no tools asks for a title of 2 to 6 words in the
language of the message. The answer is cleaned into one line of at most `TITLE_CHARS`, with
no quotes or markdown, and saved only while the title is still `auto`, in one conditional
write (store.set_model_title): a title the user gives, before or after, always wins. On any
failure (the model's, an empty title, the store's) the title stays as it is and the failure
is logged; the answer never waits for the title nor depends on it. Like the summary's, the
call's few tokens are not counted in the user's usage.
"""

from __future__ import annotations

import logging
import re

from flask import Flask

from ..errors import AppError
from ..llm.base import ModelRequest, TextDelta
from ..metrics import model_call
from ..store.base import UserStore

log = logging.getLogger(__name__)

TITLE_PROMPT = (
    "You name conversations between a painting contractor and their business assistant. "
    "Write a title of 2 to 6 words for the conversation that starts with the user's message, "
    "in the language of that message. Answer with the title only: no quotes, no markdown, "
    "no full stop."
)
TITLE_CHARS = 60
TITLE_MAX_TOKENS = 24
#: Enough of a long first message to name it.
MESSAGE_CHARS = 2000
#: The user's message and the answer being written: a first turn.
FIRST_TURN_MESSAGES = 2

_WORD = re.compile(r"\w")
_MARKUP = re.compile(r"[*_`#>\[\]]+")
_LABEL = re.compile(r"^(title|titre|título|titolo|titel)\s*:\s*", re.IGNORECASE)
#: What may surround a title without being part of it.
_WRAPPING = " \"'“”‘’«»„-"
_CLOSING = _WRAPPING + ".,;:!?。"


def clean_title(text: str) -> str:
    """The model's answer as a title: its first line with a word in it, without markdown,
    quotes, a "Title:" label or a closing full stop, at most `TITLE_CHARS` (cut at a word);
    empty when nothing is left."""
    line = next((line for line in text.splitlines() if _WORD.search(line)), "")
    line = _LABEL.sub("", " ".join(_MARKUP.sub("", line).split()))
    line = line.lstrip(_WRAPPING).rstrip(_CLOSING)
    if len(line) > TITLE_CHARS:
        head = line[: TITLE_CHARS + 1]  # a space just past the limit ends a whole word
        cut = head.rsplit(" ", 1)[0] if " " in head else ""
        line = (cut if len(cut) > TITLE_CHARS // 2 else line[:TITLE_CHARS]).rstrip(_CLOSING)
    return line


def title_request(first_message: str) -> ModelRequest:
    text = first_message[:MESSAGE_CHARS]
    return ModelRequest(
        TITLE_PROMPT,
        [{"role": "user", "content": [{"text": text}]}],
        max_tokens=TITLE_MAX_TOKENS,
        purpose="title",
    )


def model_text(app: Flask, request: ModelRequest) -> str:
    """The text of one model call (counted in the model-call metrics like the turn's)."""
    model = app.extensions["model"]
    events = model_call(model.name, model.stream(request))
    return "".join(event.text for event in events if isinstance(event, TextDelta))


def first_turn_message(store: UserStore, conversation_id: str, user_message_id: str):
    """The user's first message if the conversation is on its first turn with an `auto`
    title, else None."""
    conversation = store.get_conversation(conversation_id)
    if conversation is None or conversation["title_source"] != "auto":
        return None
    if conversation["message_count"] > FIRST_TURN_MESSAGES:
        return None
    return store.get_message(user_message_id)


def write_title(
    app: Flask, store: UserStore, conversation_id: str, user_message_id: str
) -> str | None:
    """Title a conversation on its first turn from the user's message; the title saved, or
    None when none was (not a first turn, the user's title, or a failure, logged)."""
    message = first_turn_message(store, conversation_id, user_message_id)
    if message is None:
        return None
    try:
        title = clean_title(model_text(app, title_request(message["content"])))
    except AppError as error:
        log.warning("no model title for conversation %s: %s", conversation_id, error.code)
        return None
    if not title:
        log.warning("no model title for conversation %s: the model gave none", conversation_id)
        return None
    saved = store.set_model_title(conversation_id, title)
    return saved["title"] if saved else None
