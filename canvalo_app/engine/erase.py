"""Deleting all of a user's data while no answer can start or run in it.

A check of the rows ("is an answer streaming?") is no lock: a send starting meanwhile would
write into a conversation being deleted, and a row left `streaming` by a worker that died
would block the deletion until the sweep. So every conversation that goes is reserved in the
generation registry first, as a send reserves its conversation (engine/send.py): 409
CONVERSATION_BUSY while a generation runs in one (on any worker, with Redis), and no send
can start in any of them until the rows are gone.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from flask import Flask

from ..store.base import UserStore
from .log import GenerationRegistry


def delete_all_data(app: Flask, store: UserStore, include_business: bool, issued_at: str) -> dict:
    """`store.delete_all_data`, with every conversation it deletes reserved meanwhile."""
    registry = app.extensions["generations"]
    with all_reserved(registry, store.conversation_ids_until(issued_at)):
        return store.delete_all_data(include_business, issued_at)


@contextmanager
def all_reserved(registry: GenerationRegistry, conversation_ids: Iterable[str]) -> Iterator[None]:
    """Every conversation reserved for the block (409 if a generation runs in one), and all
    given back after it."""
    held: list[str] = []
    try:
        for conversation_id in conversation_ids:
            registry.reserve(conversation_id)
            held.append(conversation_id)
        yield
    finally:
        for conversation_id in held:
            registry.release(conversation_id)
