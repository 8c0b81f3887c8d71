"""The generation registry: one running generation per conversation, freed by its last event."""

from __future__ import annotations

import pytest

from canvalo_app.engine.log import GenerationLog, GenerationRegistry
from canvalo_app.errors import AppError


def new_log(conversation_id="c1", generation_id="g1") -> GenerationLog:
    return GenerationLog(
        id=generation_id,
        user_id="u1",
        conversation_id=conversation_id,
        user_message_id="m1",
        message_id="m2",
    )


def busy(registry: GenerationRegistry, conversation_id="c1") -> bool:
    try:
        registry.reserve(conversation_id)
    except AppError as error:
        assert error.code == "CONVERSATION_BUSY"
        return True
    registry.release(conversation_id)
    return False


def test_a_reserved_or_running_conversation_is_busy():
    registry = GenerationRegistry(retention_seconds=60)
    registry.reserve("c1")
    assert busy(registry)
    assert not busy(registry, "c2")
    log = new_log()
    registry.add(log)
    assert busy(registry)
    assert registry.running() == [log]


def test_the_terminal_event_frees_the_conversation_before_the_greenlet_returns():
    registry = GenerationRegistry(retention_seconds=60)
    registry.reserve("c1")
    log = new_log()
    registry.add(log)
    log.append("complete", {"finish_reason": "end_turn"})
    assert registry.running() == []
    assert not busy(registry)
    registry.finished(log)  # the greenlet's own clean-up, later, changes nothing
    assert not busy(registry)


def test_a_finished_generation_does_not_free_a_newer_one():
    registry = GenerationRegistry(retention_seconds=60)
    old = new_log(generation_id="old")
    registry.reserve("c1")
    registry.add(old)
    old.append("complete", {})
    registry.reserve("c1")
    newer = new_log(generation_id="new")
    registry.add(newer)
    registry.finished(old)
    assert busy(registry)
    assert registry.running() == [newer]


@pytest.mark.parametrize("type_", ["complete", "error"])
def test_nothing_follows_a_terminal_event(type_):
    log = new_log()
    log.append(type_, {})
    with pytest.raises(RuntimeError):
        log.append("token", {"content": "late"})
