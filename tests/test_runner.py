"""Stop, shutdown and the turn deadline end a generation at once, whatever the turn is doing:
even while the model is silent or a tool is waiting on the store, the stream gets its terminal
event and the row its final state, and the abandoned turn adds nothing afterwards."""

from __future__ import annotations

import subprocess
import threading
import time

import pytest

from canvalo_app.engine import stop_all
from canvalo_app.llm.base import Stop, ToolUse
from tests.conftest import BOTH_ENGINES, BOTH_STORES, events, parse_sse, user_store
from tests.helpers import (
    answer_of,
    assistant_row,
    read_until,
    routed,
    send,
    stream_events,
    wait_for,
)
from tests.scripted_model import Wait, call, install, route, say

#: Seconds that count as "at once", with room for a loaded test machine; without the
#: interrupts a stop took 10 s, the deadline 5 s (the model's silence) and shutdown 30 s.
PROMPT = 2.0
pytestmark = BOTH_ENGINES


class Gate:
    """A silence the test ends; it also tells when the model has moved past it."""

    def __init__(self):
        self.opened = threading.Event()
        self.passed = threading.Event()

    def wait(self, timeout: float) -> bool:
        opened = self.opened.wait(timeout)
        self.passed.set()
        return opened

    def open(self) -> None:
        self.opened.set()


def silent_after(text: str, gate, seconds: float = 30.0) -> list:
    """An answer that says `text`, then goes quiet until the gate opens."""
    return [*say(text)[:-2], Wait(gate, seconds)]


def open_stream(client, headers):
    response = client.post(
        "/api/chat/stream", json={"message": "go"}, headers=headers, buffered=False
    )
    return response, iter(response.response)


def rest_of(reader, text: str = "") -> list[dict]:
    """Read a live stream to its end; the events of `text` and all that followed."""
    return events(parse_sse(text + "".join(chunk.decode() for chunk in reader)))


def terminal_events(evts: list[dict]) -> list[dict]:
    return [e for e in evts if e["type"] in ("complete", "error")]


@BOTH_STORES
def test_stop_ends_a_silent_model_at_once(app, client, users):
    gate = Gate()
    # After its silence the model would ask for a tool, then answer again: neither may happen.
    late = [ToolUse("late-1", "create_task", {"title": "Too late"}), Stop("tool_use")]
    model = install(
        app, route("tasks"), [*silent_after("partial answer", gate), *late], say("Created it.")
    )
    response, reader = open_stream(client, users.a)
    text = read_until(reader, "answer")
    start = events(parse_sse(text))[0]
    try:
        began = time.monotonic()
        stopped = client.post(
            f"/api/chat/generations/{start['generation_id']}/stop", headers=users.a
        )
        took = time.monotonic() - began
        assert stopped.status_code == 200
        assert took < PROMPT, f"stop took {took:.2f} s"
        assert stopped.json["status"] == "interrupted"
        assert stopped.json["content"] == "partial answer"
        evts = rest_of(reader, text)
        assert terminal_events(evts) == [evts[-1]]
        assert evts[-1]["type"] == "complete" and evts[-1]["finish_reason"] == "stopped"
    finally:
        gate.open()
    # The model speaks again: the abandoned turn logs nothing, saves nothing, runs nothing.
    assert gate.passed.wait(5)
    time.sleep(0.3)
    url = f"/api/chat/generations/{start['generation_id']}/events"
    assert stream_events(client.get(url, headers=users.a)) == evts
    row = assistant_row(client, users.a, start["conversation_id"])
    assert row["status"] == "interrupted" and row["content"] == "partial answer"
    assert len(model.requests) == 2  # the route and the answer; no call after the tool
    assert user_store(app, users).list_records("tasks", limit=10) == []


@BOTH_STORES
def test_deadline_ends_a_silent_model_on_time(make_app, users):
    app = make_app(TURN_DEADLINE_SECONDS=1)
    gate = Gate()
    install(app, *routed([*silent_after("partial answer", gate, 5.0), *say(" late")]))
    client = app.test_client()
    try:
        began = time.monotonic()
        evts = stream_events(send(client, users.a))
        took = time.monotonic() - began
    finally:
        gate.open()
    assert evts[-1]["type"] == "error" and evts[-1]["code"] == "DEADLINE_EXCEEDED"
    assert terminal_events(evts) == [evts[-1]]
    assert took < 1 + PROMPT, f"the deadline error came after {took:.2f} s"
    assert answer_of(evts) == "partial answer"
    row = assistant_row(client, users.a, evts[0]["conversation_id"])
    assert row["status"] == "error" and row["content"] == "partial answer"
    assert row["metadata"]["error_code"] == "DEADLINE_EXCEEDED"


@BOTH_STORES
def test_shutdown_ends_a_silent_model_at_once(app, client, users):
    gate = Gate()
    install(app, *routed([*silent_after("partial answer", gate), *say(" late")]))
    response, reader = open_stream(client, users.a)
    text = read_until(reader, "answer")
    try:
        began = time.monotonic()
        assert stop_all(app) == 1
        evts = rest_of(reader, text)
        took = time.monotonic() - began
    finally:
        gate.open()
    assert evts[-1]["type"] == "error" and evts[-1]["code"] == "SHUTTING_DOWN"
    assert terminal_events(evts) == [evts[-1]]
    assert took < PROMPT, f"shutdown took {took:.2f} s"
    row = assistant_row(client, users.a, evts[0]["conversation_id"])
    assert row["status"] == "interrupted" and row["content"] == "partial answer"
    assert stop_all(app) == 0


class TableLock:
    """An exclusive lock on a table, held as a long migration or a stuck transaction would."""

    WAITING = "select count(*) from pg_stat_activity where wait_event_type = 'Lock'"

    def __init__(self, stack, table: str):
        self.stack = stack
        self.holder = subprocess.Popen(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", stack.db_url],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        self.holder.stdin.write(f"BEGIN;\nLOCK TABLE {table} IN ACCESS EXCLUSIVE MODE;\n")
        self.holder.stdin.flush()
        held = f"select count(*) from pg_locks where relation = '{table}'::regclass and granted"
        assert wait_for(lambda: stack.psql(held) != "0"), f"could not lock {table}"

    def waiters(self) -> int:
        return int(self.stack.psql(self.WAITING))

    def release(self) -> None:
        if self.holder.poll() is None:
            self.holder.stdin.write("ROLLBACK;\n")
            self.holder.stdin.close()
            self.holder.wait(timeout=10)
        assert wait_for(lambda: self.waiters() == 0), "a query still waits on the lock"


@pytest.fixture
def tasks_locked(pgstack):
    lock = TableLock(pgstack, "api.tasks")
    yield lock
    lock.release()


# Supabase only: SQLite locks the whole file, so the row could not be saved either.
@pytest.mark.parametrize("store_backend", ["supabase"], indirect=True)
def test_stop_ends_a_tool_waiting_on_the_store(app, client, users, tasks_locked):
    model = install(app, route("tasks"), call("list_tasks"), say("You have no tasks."))
    response, reader = open_stream(client, users.a)
    text = read_until(reader, "event: tool_call")
    start = events(parse_sse(text))[0]
    assert wait_for(lambda: tasks_locked.waiters() > 0), "the tool never reached the store"
    began = time.monotonic()
    stopped = client.post(f"/api/chat/generations/{start['generation_id']}/stop", headers=users.a)
    took = time.monotonic() - began
    assert took < PROMPT, f"stop took {took:.2f} s"
    assert stopped.json["status"] == "interrupted"
    evts = rest_of(reader, text)
    assert evts[-1]["type"] == "complete" and evts[-1]["finish_reason"] == "stopped"
    assert "tool_result" not in [e["type"] for e in evts]
    tasks_locked.release()  # the tool gets its answer now, into an abandoned turn
    time.sleep(0.3)
    url = f"/api/chat/generations/{start['generation_id']}/events"
    assert stream_events(client.get(url, headers=users.a)) == evts
    assert len(model.requests) == 2  # the route and the tool call; the answer is never asked
    row = assistant_row(client, users.a, start["conversation_id"])
    assert row["status"] == "interrupted"
