"""The SSE frames of the bare benchmark apps, byte for byte in the service's format.

Shared by `bare_gevent.py` and `bare_fastapi.py` so both ceilings stream the same bytes:
a `: ping` comment, a `start` event, N `token` events, a `complete` event. Each event is
`event: type\\ndata: {json that repeats the type}\\nid: n\\n\\n` (README, "The SSE protocol").

Settings (environment):
    BARE_TOKENS        token events per answer (default 40)
    BARE_TOKEN_DELAY   seconds slept before each token (default 0.03)
    BARE_TOKEN_TEXTS   optional JSON list of token texts (e.g. the service's real answer),
                       cycled through; default "word "
"""

from __future__ import annotations

import json
import os
import uuid

PING = ": ping\n\n"
HEADERS = {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache, no-transform",
    "X-Accel-Buffering": "no",
}
AGENT = "invoices"


def settings() -> tuple[int, float, list[str]]:
    tokens = int(os.environ.get("BARE_TOKENS", "40"))
    delay = float(os.environ.get("BARE_TOKEN_DELAY", "0.03"))
    texts = json.loads(os.environ.get("BARE_TOKEN_TEXTS") or "[]") or ["word "]
    return tokens, delay, texts


def frame(event_id: int, type_: str, data: dict) -> str:
    payload = json.dumps({"type": type_, **data}, ensure_ascii=False, separators=(",", ":"))
    return f"event: {type_}\ndata: {payload}\nid: {event_id}\n\n"


def start_frame() -> tuple[str, str]:
    """The `start` event and the assistant message id it names."""
    message_id = str(uuid.uuid4())
    data = {
        "conversation_id": str(uuid.uuid4()),
        "generation_id": str(uuid.uuid4()),
        "user_message_id": str(uuid.uuid4()),
        "message_id": message_id,
    }
    return frame(1, "start", data), message_id


def token_frame(event_id: int, text: str) -> str:
    return frame(event_id, "token", {"content": text, "agent_type": AGENT})


def complete_frame(event_id: int, message_id: str, tokens: int) -> str:
    return frame(
        event_id,
        "complete",
        {
            "message_id": message_id,
            "agent_type": AGENT,
            "finish_reason": "end_turn",
            "usage": {"input_tokens": 812, "output_tokens": tokens},
        },
    )
