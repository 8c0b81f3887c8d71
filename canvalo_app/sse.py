"""Server-Sent Events: one small value object for a frame, and the streaming response.

The response only reads a generation's event log; it never runs the generation, so a client
that goes away stops nothing but its own reading.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from flask import Response

PING = ": ping\n\n"
TERMINAL = frozenset({"complete", "error"})


@dataclass(frozen=True)
class ServerSentEvent:
    id: int
    type: str
    data: dict = field(default_factory=dict)

    @property
    def terminal(self) -> bool:
        return self.type in TERMINAL

    def encode(self) -> str:
        """`id:`, `event:` and one `data:` line of JSON that repeats the type."""
        payload = json.dumps(
            {"type": self.type, **self.data}, ensure_ascii=False, separators=(",", ":")
        )
        return f"id: {self.id}\nevent: {self.type}\ndata: {payload}\n\n"


def event_stream(log, after: int, heartbeat: float) -> Iterator[str]:
    """Frames after event `after`, live until the terminal one; a ping on every silence."""
    yield PING
    cursor = after
    while True:
        events, finished = log.wait(cursor, heartbeat)
        for event in events:
            yield event.encode()
            cursor = event.id
        if finished and cursor >= log.last_id:
            return
        if not events:
            yield PING


def sse_response(log, after: int, heartbeat: float) -> Response:
    response = Response(event_stream(log, after, heartbeat), mimetype="text/event-stream")
    response.headers["Content-Type"] = "text/event-stream; charset=utf-8"
    response.headers["Cache-Control"] = "no-cache, no-transform"
    response.headers["X-Accel-Buffering"] = "no"
    return response
