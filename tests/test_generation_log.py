"""The generation registry: one running generation per conversation, freed by its last event;
one generation per client message. The contract tests run on both engines: in memory, and on
a real redis-server."""

from __future__ import annotations

import threading
import time

import pytest

from canvalo_app.engine.log import GenerationLog, GenerationRegistry
from canvalo_app.engine.shared import SharedRegistry
from canvalo_app.errors import AppError


@pytest.fixture(params=["memory", "redis"])
def make_registry(request):
    """Build a registry of either engine (Redis: the test server, emptied first)."""
    made = []

    def build(retention_seconds: float = 60):
        if request.param == "memory":
            return GenerationRegistry(retention_seconds)
        server = request.getfixturevalue("redis_server")
        server.client().flushdb()
        registry = SharedRegistry(
            server.url, store=None, retention=retention_seconds, lease=10, renew=2, deadline=120
        )
        made.append(registry)
        return registry

    yield build
    for registry in made:
        registry.close()


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


def test_a_reserved_or_running_conversation_is_busy(make_registry):
    registry = make_registry()
    registry.reserve("c1")
    assert busy(registry)
    assert not busy(registry, "c2")
    log = new_log()
    registry.add(log)
    assert busy(registry)
    assert registry.running() == [log]


def test_the_terminal_event_frees_the_conversation_before_the_greenlet_returns(make_registry):
    registry = make_registry()
    registry.reserve("c1")
    log = new_log()
    registry.add(log)
    log.append("complete", {"finish_reason": "end_turn"})
    assert log.wait_finished(timeout=2)  # out to every reader (in Redis first, on that engine)
    assert registry.running() == []
    assert not busy(registry)
    registry.finished(log)  # the greenlet's own clean-up, later, changes nothing
    assert not busy(registry)


def test_a_finished_generation_does_not_free_a_newer_one(make_registry):
    registry = make_registry()
    old = new_log(generation_id="old")
    registry.reserve("c1")
    registry.add(old)
    old.append("complete", {})
    assert old.wait_finished(timeout=2)
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


# Copies of one send (same client_message_id) ------------------------------------------------
def sent_log(client_message_id="cm1", conversation_id="c1", generation_id="g1") -> GenerationLog:
    log = new_log(conversation_id, generation_id)
    log.client_message_id = client_message_id
    return log


def claim_later(registry: GenerationRegistry, timeout: float = 5.0):
    """Claim "cm1" for u1 on another thread; its outcome lands in the returned dict."""
    outcome: dict = {}

    def claim():
        try:
            outcome["log"] = registry.claim("u1", "cm1", timeout)
        except AppError as error:
            outcome["error"] = error.code

    thread = threading.Thread(target=claim)
    thread.start()
    return thread, outcome


def test_a_copy_of_a_send_waits_for_the_first_and_gets_its_generation(make_registry):
    registry = make_registry()
    assert registry.claim("u1", "cm1", timeout=0) is None
    thread, outcome = claim_later(registry)
    thread.join(0.2)
    assert thread.is_alive() and outcome == {}  # waiting, not answered
    registry.reserve("c1")
    log = sent_log()
    registry.add(log)
    thread.join(5)
    assert outcome == {"log": log}
    assert registry.claim("u1", "cm1", timeout=0) is log  # and so does any later copy


def test_a_copy_of_a_failed_send_goes_ahead_itself(make_registry):
    registry = make_registry()
    assert registry.claim("u1", "cm1", timeout=0) is None
    thread, outcome = claim_later(registry)
    thread.join(0.2)
    assert thread.is_alive()
    registry.unclaim("u1", "cm1")
    thread.join(5)
    assert outcome == {"log": None}  # claimed: this copy now prepares the send
    with pytest.raises(AppError) as raised:  # and a third copy waits for it in turn
        registry.claim("u1", "cm1", timeout=0.05)
    assert raised.value.code == "CONVERSATION_BUSY"


def test_claims_are_per_user_and_per_message(make_registry):
    registry = make_registry()
    assert registry.claim("u1", "cm1", timeout=0) is None
    assert registry.claim("u2", "cm1", timeout=0) is None
    assert registry.claim("u1", "cm2", timeout=0) is None


def test_a_claim_does_not_change_conversation_reservations(make_registry):
    registry = make_registry()
    assert registry.claim("u1", "cm1", timeout=0) is None
    assert not busy(registry)
    registry.reserve("c1")
    registry.add(sent_log())
    assert registry.claim("u1", "cm1", timeout=0) is not None
    assert busy(registry)  # another message into the running conversation is still 409


def test_ended_generations_are_forgotten_oldest_first_after_the_retention():
    registry = GenerationRegistry(retention_seconds=0.1)
    first, second = sent_log("cm1", "c1", "g1"), sent_log("cm2", "c2", "g2")
    running = sent_log("cm3", "c3", "g3")
    for log in (first, second, running):
        registry.reserve(log.conversation_id)
        registry.add(log)
    first.append("complete", {})
    registry.finished(first)
    time.sleep(0.15)
    second.append("complete", {})
    registry.finished(second)
    registry.reserve("c4")  # a send forgets what ended longer than the retention ago
    assert registry.get("g1", "u1") is None
    assert registry.claim("u1", "cm1", timeout=0) is None  # its client message is free again
    assert registry.get("g2", "u1") is second
    assert registry.claim("u1", "cm2", timeout=0) is second
    assert registry.get("g3", "u1") is running  # a running generation is never forgotten


def test_a_reader_waits_for_the_next_event_and_wait_finished_for_the_last():
    log = new_log()
    log.append("start", {})
    appender = threading.Timer(0.05, lambda: log.append("token", {"content": "hi"}))
    appender.start()
    events, finished = log.wait(1, timeout=5)
    assert [e.type for e in events] == ["token"] and not finished
    assert log.wait(2, timeout=0.05) == ([], False)  # nothing new: back after the timeout
    assert not log.wait_finished(timeout=0.05)
    threading.Timer(0.05, lambda: log.append("complete", {})).start()
    assert log.wait_finished(timeout=5)
    assert log.wait(2, timeout=5)[1]
