"""Sending a message: everything that must hold before the first byte of the stream.

The user message is committed before any model call; the assistant row exists (`streaming`)
before the generation starts; one generation runs per conversation; a retried send with the
same `client_message_id` re-attaches to its generation instead of starting another, also
while the first copy is still in flight (and, across workers, the store refuses the second
copy of the user message).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import NamedTuple

from flask import Flask

from ..errors import AppError
from ..store.base import Identity, NewMessage, UserStore, new_id
from ..store.values import ACTIVE_LEAF, Follow
from ..tickets import resume_url
from .log import GenerationLog, GenerationRegistry
from .runner import start_generation

#: How long a copy of a send waits for the first copy to start its generation.
SAME_SEND_WAIT_SECONDS = 5.0


def conversation_title(text: str, limit: int = 60) -> str:
    title = " ".join(text.split())
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


class Turn(NamedTuple):
    """What a new turn wrote: its conversation, the user message it answers and the
    `streaming` assistant row; `first` when it is the conversation's first turn (a send
    that opened it), the only one the model titles."""

    conversation_id: str
    user_message_id: str
    message_id: str
    first: bool = False


#: Writes a turn's rows for `start_turn`, with the conversation reserved for it.
WriteTurn = Callable[[GenerationRegistry, UserStore], Turn]


def send_message(
    app: Flask,
    identity: Identity,
    text: str,
    conversation_id: str | None,
    client_message_id: str | None,
    create_missing: bool = False,
) -> tuple[GenerationLog, bool]:
    """Start the answer to a message; the generation, and whether it is one an earlier copy
    of this send (the same `client_message_id`) had already started. With `create_missing`,
    a `conversation_id` the user has no conversation of is created with that id."""

    def write(registry: GenerationRegistry, store: UserStore) -> Turn:
        return write_turn(registry, store, text, conversation_id, client_message_id, create_missing)

    return start_turn(app, identity, client_message_id, write, conversation_id)


def start_turn(
    app: Flask,
    identity: Identity,
    client_message_id: str | None,
    write: WriteTurn,
    conversation_id: str | None = None,
) -> tuple[GenerationLog, bool]:
    """Write a turn's rows and start its generation (a send, a regenerated answer, an
    edited message); the generation, and whether an earlier copy of this request (the same
    `client_message_id`) had already started it. A request that names its conversation
    joins only a generation of that conversation: the same `client_message_id` used in
    another one is a 409 DUPLICATE_MESSAGE."""
    registry = app.extensions["generations"]
    store = app.extensions["store"].for_user(identity)
    if client_message_id:
        # Before any write: a copy of this send still in flight is waited for, then joined.
        attached = registry.claim(identity.user_id, client_message_id, SAME_SEND_WAIT_SECONDS)
        if attached is not None:
            if conversation_id and attached.conversation_id != conversation_id:
                raise AppError("DUPLICATE_MESSAGE")
            return attached, True
    try:
        turn = write(registry, store)
    except BaseException:
        if client_message_id:
            registry.unclaim(identity.user_id, client_message_id)
        raise
    generation = GenerationLog(
        id=new_id(),
        user_id=identity.user_id,
        conversation_id=turn.conversation_id,
        user_message_id=turn.user_message_id,
        message_id=turn.message_id,
        client_message_id=client_message_id,
    )
    start = {
        "conversation_id": turn.conversation_id,
        "generation_id": generation.id,
        "user_message_id": turn.user_message_id,
        "message_id": turn.message_id,
    }
    if url := resume_url(app.config, generation.id, identity.user_id):
        start["resume_url"] = url  # opens the events endpoint with no header (EventSource)
    generation.append("start", start)
    register(registry, store, generation)
    start_generation(app, generation, identity, first_turn=turn.first)
    return generation, False


def register(registry: GenerationRegistry, store: UserStore, generation: GenerationLog) -> None:
    """Make the generation known to every reader. If the shared state cannot take it,
    nothing runs: the conversation and the claim are given back and the assistant row is
    closed with the error."""
    try:
        registry.add(generation)
    except AppError as error:
        registry.release(generation.conversation_id)
        if generation.client_message_id:
            registry.unclaim(generation.user_id, generation.client_message_id)
        with suppress(AppError):
            store.update_message(
                generation.message_id, status="error", metadata={"error_code": error.code}
            )
        raise


def write_turn(
    registry: GenerationRegistry,
    store: UserStore,
    text: str,
    conversation_id: str | None,
    client_message_id: str | None,
    create_missing: bool = False,
) -> Turn:
    """Store the user message, after the last message of the active branch, and the
    `streaming` assistant row; their conversation is reserved for the new generation (and
    created if need be)."""
    not_sent_before(store, client_message_id)
    conversation, created = _conversation(store, conversation_id, text, create_missing)
    try:
        with reserved(registry, conversation["id"]):
            return add_turn(store, conversation["id"], text, client_message_id)
    except BaseException:
        _forget_new(store, conversation["id"], created)
        raise


def not_sent_before(store: UserStore, client_message_id: str | None) -> None:
    if client_message_id and store.find_message_by_client_id(client_message_id):
        # Sent before, by a generation this worker no longer holds (or never held).
        raise AppError("DUPLICATE_MESSAGE")


@contextmanager
def reserved(registry: GenerationRegistry, conversation_id: str) -> Iterator[None]:
    """Reserve the conversation for a new generation (409 while one runs), given back if
    the block fails; on success the generation takes the reservation over."""
    registry.reserve(conversation_id)
    try:
        yield
    except BaseException:
        registry.release(conversation_id)
        raise


def add_turn(
    store: UserStore,
    conversation_id: str,
    text: str,
    client_message_id: str | None,
    after: str | Follow | None = ACTIVE_LEAF,
) -> Turn:
    """The user message (after `after`, by default the active leaf) and its `streaming`
    answer, in one write: a store retry after a lost answer cannot write a message twice.
    The turn is the conversation's first when the message follows the active leaf and
    there is none: an edited first message (after None) starts no first turn."""
    rows = store.add_messages(
        conversation_id,
        [
            NewMessage("user", text, client_message_id=client_message_id),
            NewMessage("assistant", "", status="streaming"),
        ],
        after,
    )
    if rows is None:  # deleted while we were sending
        raise AppError("CONVERSATION_NOT_FOUND")
    user_message, assistant = rows
    first = after is ACTIVE_LEAF and user_message["parent_id"] is None
    return Turn(conversation_id, user_message["id"], assistant["id"], first)


def _conversation(
    store: UserStore, conversation_id: str | None, text: str, create_missing: bool
) -> tuple[dict, bool]:
    """The conversation the message goes into, and whether this send created it."""
    conversation = store.get_conversation(conversation_id) if conversation_id else None
    if conversation is not None:
        return conversation, False
    if conversation_id and not create_missing:
        raise AppError("CONVERSATION_NOT_FOUND")
    try:
        return store.create_conversation(conversation_title(text), None, conversation_id), True
    except AppError:
        # Another send of this user's made it first; another user's is still not found.
        again = store.get_conversation(conversation_id) if conversation_id else None
        if again is None:
            raise
        return again, False


def _forget_new(store: UserStore, conversation_id: str, created: bool) -> None:
    """A send that fails leaves no empty conversation of its own making behind (for example
    when another worker stored the same send first)."""
    if created:
        with suppress(AppError):
            store.delete_conversation(conversation_id)
