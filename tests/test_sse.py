"""SSE framing: an event is encoded once; a reader sends what is waiting in one write."""

from __future__ import annotations

import json
import threading

from canvalo_app.engine.log import GenerationLog
from canvalo_app.sse import PING, ServerSentEvent, event_stream


def new_log() -> GenerationLog:
    return GenerationLog(
        id="g1", user_id="u1", conversation_id="c1", user_message_id="m1", message_id="m2"
    )


def test_a_frame_has_event_one_data_line_that_repeats_the_type_and_id_last():
    event = ServerSentEvent(3, "token", {"content": "Hé\nthere", "agent_type": "invoices"})
    lines = event.encode().decode().split("\n")
    assert lines[0] == "event: token"
    assert lines[1].startswith("data: ") and lines[2:] == ["id: 3", "", ""]
    assert event.data() == {"type": "token", "content": "Hé\nthere", "agent_type": "invoices"}
    assert event.frame_without_id() == "\n".join([*lines[:2], "", ""]).encode()
    # A frame logged by an older worker (id first, in Redis) is read the same way.
    older = ServerSentEvent(3, "token", frame=b"id: 3\n" + event.frame_without_id())
    assert older.data() == event.data()
    assert older.frame_without_id() == event.frame_without_id()
    data = json.loads(lines[1][len("data: ") :])
    assert data == {"type": "token", "content": "Hé\nthere", "agent_type": "invoices"}
    assert "Hé" in lines[1]  # UTF-8, not \\u escapes
    assert event.encode() is event.frame  # encoded once, shared by every reader


def test_events_waiting_for_a_reader_go_out_in_one_write():
    log = new_log()
    for type_ in ("start", "token", "token", "complete"):
        log.append(type_, {})
    assert list(event_stream(log, 0, heartbeat=5)) == [
        PING + b"".join(event.frame for event in log.events),
    ]
    assert list(event_stream(log, 3, heartbeat=5)) == [PING + log.events[3].frame]


def test_a_live_reader_gets_each_event_as_it_comes_and_a_ping_on_silence():
    log = new_log()
    log.append("start", {})
    reader = event_stream(log, 0, heartbeat=0.05)
    assert next(reader) == PING + log.events[0].frame  # the first byte at once, with the start
    assert next(reader) == PING  # nothing for a heartbeat
    threading.Timer(0.01, lambda: log.append("complete", {})).start()
    chunk = next(reader)
    while chunk == PING:
        chunk = next(reader)
    assert chunk == log.events[1].frame
    assert list(reader) == []
