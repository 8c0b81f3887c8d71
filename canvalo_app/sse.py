"""Server-Sent Events: one small value object for a frame, and the streaming response.

An event is encoded once, when it is created, and every reader sends those same bytes. The
response only reads a generation's event log; it never runs the generation, so a client
that goes away stops nothing but its own reading.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from flask import Response

from .metrics import open_stream

#: A heartbeat: one comment line and no blank line after it, so that it never ends an event.
#: EventSource, fetch-event-source, httpx-sse and the AI SDK all skip comment lines, and
#: fetch-event-source dispatches a message at every blank line (an empty one for a comment
#: ended by one); proxies still see bytes at every silence.
PING = b": ping\n"
TERMINAL = frozenset({"complete", "error"})
#: JSON as the streams send it: UTF-8 text, no spaces.
compact_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class ServerSentEvent:
    """One event of a generation: its id, its type, and its frame, encoded once when the
    event is made and sent as it is to every reader."""

    __slots__ = ("id", "type", "frame")

    def __init__(self, id: int, type: str, data: dict | None = None, frame: bytes | None = None):
        self.id = id
        self.type = type
        if frame is None:
            payload = compact_json({"type": type, **(data or {})})
            # `event:`, one `data:` line of JSON that repeats the type, and `id:` last: a
            # client that takes the id as soon as it reads the line (fetch-event-source)
            # and is cut off before the blank line would otherwise skip this event on retry.
            frame = f"event: {type}\ndata: {payload}\nid: {id}\n\n".encode()
        self.frame = frame

    def _data_line(self) -> bytes:
        line = self.frame.split(b"data: ", 1)[1]  # whatever order the lines were logged in
        return line[: line.index(b"\n")]

    def data(self) -> dict:
        """The event's fields, read back from its frame."""
        return json.loads(self._data_line())

    def frame_without_id(self) -> bytes:
        """The event with no `id:` line: sent again, it leaves a client's last id alone."""
        return b"event: " + self.type.encode() + b"\ndata: " + self._data_line() + b"\n\n"

    @property
    def terminal(self) -> bool:
        return self.type in TERMINAL

    def encode(self) -> bytes:
        return self.frame

    def __repr__(self) -> str:
        return f"ServerSentEvent({self.id}, {self.type!r})"


def follow(log, after: int, heartbeat: float) -> Iterator[list[ServerSentEvent]]:
    """A generation's events after event `after`, in the batches they come in, until the
    terminal one: first those already waiting (perhaps none), then each batch as it is
    logged, and an empty batch at every silence of `heartbeat` seconds.

    `log` is anything with `wait(after, timeout) -> (events, ended)`: a worker's own log, or
    one read from Redis (engine/shared.py)."""
    events, ended = log.wait(after, 0)
    yield events
    cursor = events[-1].id if events else after
    while not ended:
        events, ended = log.wait(cursor, heartbeat)
        if events:
            cursor = events[-1].id
            yield events
        elif not ended:
            yield events


def event_stream(log, after: int, heartbeat: float, start: bool = False) -> Iterator[bytes]:
    """A ping and the frames after event `after`, live until the terminal one; a ping on
    every silence. Events that are waiting when the reader comes round (the first ones, a
    replay, a burst) go out in one write. With `start`, a replay after the first event
    begins with the `start` event again, without its id (so a client's last event id stays
    where it was)."""
    batches = follow(log, after, heartbeat)
    first = [PING, *(event.frame for event in next(batches))]
    if start and after >= 1:
        first.insert(1, log.wait(0, 0)[0][0].frame_without_id())
    yield b"".join(first)
    for events in batches:
        if not events:
            yield PING
        elif len(events) == 1:
            yield events[0].frame
        else:
            yield b"".join(event.frame for event in events)


def sse_response(log, after: int, heartbeat: float, start: bool = False) -> Response:
    return stream_response(event_stream(log, after, heartbeat, start))


def stream_response(stream: Iterator[bytes], headers: dict | None = None) -> Response:
    """An SSE response: never cached, transformed or buffered by a proxy."""
    response = open_stream(Response(stream, mimetype="text/event-stream"))
    response.headers["Content-Type"] = "text/event-stream; charset=utf-8"
    response.headers["Cache-Control"] = "no-cache, no-transform"
    response.headers["X-Accel-Buffering"] = "no"
    response.headers.update(headers or {})
    return response
