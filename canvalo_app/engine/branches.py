"""Branching a conversation: regenerate the last answer, edit a user message, switch the
active branch (store/branches.py keeps the tree).

Each reserves the conversation first, as a send does, so it answers 409 while a generation
runs there and nothing changes the branch under a running generation; the tree is read
after the reservation, so it is the one the new rows go into.
"""

from __future__ import annotations

from flask import Flask

from ..errors import AppError
from ..store.base import Identity, NewMessage, UserStore
from ..store.branches import Tree
from .log import GenerationLog, GenerationRegistry
from .send import Turn, add_turn, not_sent_before, reserved, start_turn


def regenerate_answer(
    app: Flask, identity: Identity, conversation_id: str, message_id: str
) -> GenerationLog:
    """Answer the last answer's user message again, as a new version of that answer (the
    old one is kept as its sibling); the generation."""

    def write(registry: GenerationRegistry, store: UserStore) -> Turn:
        with reserved(registry, conversation_id):
            tree = _message_in(store, conversation_id, message_id, role="assistant")
            question = tree.parent(message_id)
            if message_id != tree.leaf_id or question is None or tree.role(question) != "user":
                raise AppError("NOT_THE_LAST_ANSWER")
            rows = store.add_messages(
                conversation_id, [NewMessage("assistant", "", status="streaming")], question
            )
            if rows is None:  # deleted meanwhile
                raise AppError("CONVERSATION_NOT_FOUND")
            return Turn(conversation_id, question, rows[0]["id"])

    return start_turn(app, identity, None, write)[0]


def edit_message(
    app: Flask,
    identity: Identity,
    conversation_id: str,
    message_id: str,
    text: str,
    client_message_id: str | None,
) -> tuple[GenerationLog, bool]:
    """Send `text` as a new version of the user message `message_id` (after the same
    message, so the old version and what followed it are kept on their own branch), and
    answer it; the generation, and whether an earlier copy of this edit (the same
    `client_message_id`) had already started it."""

    def write(registry: GenerationRegistry, store: UserStore) -> Turn:
        not_sent_before(store, client_message_id)
        with reserved(registry, conversation_id):
            tree = _message_in(store, conversation_id, message_id, role="user")
            return add_turn(
                store, conversation_id, text, client_message_id, tree.parent(message_id)
            )

    return start_turn(app, identity, client_message_id, write, conversation_id)


def switch_branch(app: Flask, identity: Identity, conversation_id: str, message_id: str) -> dict:
    """Make the branch through `message_id` the active one; the conversation."""
    registry = app.extensions["generations"]
    store = app.extensions["store"].for_user(identity)
    registry.reserve(conversation_id)
    try:
        switched = store.switch_branch(conversation_id, message_id)
    finally:
        registry.release(conversation_id)
    if switched is None:
        raise AppError("MESSAGE_NOT_FOUND")
    return switched


def _message_in(store: UserStore, conversation_id: str, message_id: str, role: str) -> Tree:
    """The conversation's tree, which holds `message_id` of `role`: 404 when the
    conversation or the message is not the user's or not there, 409 for the other role."""
    tree = store.message_tree(conversation_id)
    if tree is None:
        raise AppError("CONVERSATION_NOT_FOUND")
    if message_id not in tree:
        raise AppError("MESSAGE_NOT_FOUND")
    if tree.role(message_id) != role:
        raise AppError("WRONG_MESSAGE_ROLE")
    return tree
