"""Sending a message: everything that must hold before the first byte of the stream.

The user message is committed before any model call; the assistant row exists (`streaming`)
before the generation starts; one generation runs per conversation; a retried send with the
same `client_message_id` re-attaches to its generation instead of starting another.
"""

from __future__ import annotations

from flask import Flask

from ..errors import AppError
from ..store.base import Identity, new_id
from .log import GenerationLog
from .runner import start_generation


def conversation_title(text: str, limit: int = 60) -> str:
    title = " ".join(text.split())
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


def send_message(
    app: Flask,
    identity: Identity,
    text: str,
    conversation_id: str | None,
    client_message_id: str | None,
) -> GenerationLog:
    registry = app.extensions["generations"]
    store = app.extensions["store"].for_user(identity)
    if client_message_id:
        attached = registry.by_client_message(identity.user_id, client_message_id)
        if attached is not None:
            return attached
        if store.find_message_by_client_id(client_message_id):
            raise AppError("DUPLICATE_MESSAGE")
    if conversation_id:
        conversation = store.get_conversation(conversation_id)
        if conversation is None:
            raise AppError("CONVERSATION_NOT_FOUND")
    else:
        conversation = store.create_conversation(conversation_title(text))
    registry.reserve(conversation["id"])
    try:
        # Ids chosen here, so a store retry after a lost answer cannot write a message twice.
        user_message = store.add_message(
            conversation["id"],
            "user",
            text,
            client_message_id=client_message_id,
            message_id=new_id(),
        )
        assistant = store.add_message(
            conversation["id"], "assistant", "", status="streaming", message_id=new_id()
        )
        if user_message is None or assistant is None:  # deleted while we were sending
            raise AppError("CONVERSATION_NOT_FOUND")
    except BaseException:
        registry.release(conversation["id"])
        raise
    generation = GenerationLog(
        id=new_id(),
        user_id=identity.user_id,
        conversation_id=conversation["id"],
        user_message_id=user_message["id"],
        message_id=assistant["id"],
        client_message_id=client_message_id,
    )
    generation.append(
        "start",
        {
            "conversation_id": conversation["id"],
            "generation_id": generation.id,
            "user_message_id": user_message["id"],
            "message_id": assistant["id"],
        },
    )
    registry.add(generation)
    start_generation(app, generation, identity)
    return generation
