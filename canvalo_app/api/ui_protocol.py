"""The AI SDK's UI message stream (protocol v1), read off a generation's own events.

One generation is one assistant message: `start`, its text in `text-start` / `text-delta` /
`text-end` blocks, each tool call as `tool-input-available` then `tool-output-available` (or
`tool-output-error`), routing, figures and confirmations as `data-agent`, `data-stat` and
`data-confirmation` parts, then `finish` (or `error`), and `data: [DONE]`. The conversation's
title, when the model writes one during the answer, is a transient `data-title` part: it is
not part of the message (useChat hands it to `onData`), so it leaves an open text block open.
Every chunk is one `data:` line of JSON; the heartbeat is the same comment line as on the
native stream.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..sse import PING, ServerSentEvent, compact_json, follow

HEADERS = {"x-vercel-ai-ui-message-stream": "v1"}
DONE = b"data: [DONE]\n\n"
#: Our finish reasons in the AI SDK's words (a stop is `other`; the metadata says which).
UI_FINISH_REASONS = {"end_turn": "stop", "max_tokens": "length", "stopped": "other"}


class UIMessageChunks:
    """Turns one generation's events into UI message chunks; it remembers the text block
    that is open, so that each block is started and ended once."""

    def __init__(self) -> None:
        self.text_id: str | None = None

    def of(self, event: ServerSentEvent) -> list[dict]:
        data = event.data()
        if event.type == "token":
            chunks = []
            if self.text_id is None:
                self.text_id = f"text-{event.id}"
                chunks.append({"type": "text-start", "id": self.text_id})
            chunks.append({"type": "text-delta", "id": self.text_id, "delta": data["content"]})
            return chunks
        if event.type == "title":  # beside the message, not in it
            return _title(data)
        chunks = [{"type": "text-end", "id": self.text_id}] if self.text_id else []
        self.text_id = None
        return chunks + _PARTS[event.type](data)


def _start(data: dict) -> list[dict]:
    metadata = {key: data[key] for key in ("conversation_id", "generation_id", "user_message_id")}
    return [{"type": "start", "messageId": data["message_id"], "messageMetadata": metadata}]


def _agent(data: dict) -> list[dict]:
    return [{"type": "data-agent", "data": {k: v for k, v in data.items() if k != "type"}}]


def _tool_call(data: dict) -> list[dict]:
    return [
        {
            "type": "tool-input-available",
            "toolCallId": data["tool_call_id"],
            "toolName": data["tool_name"],
            "input": data["input"],
            "dynamic": True,
        }
    ]


def _tool_result(data: dict) -> list[dict]:
    if data["status"] == "error":
        chunk = {"type": "tool-output-error", "errorText": data["summary"]}
    else:
        output = {"summary": data["summary"], "duration_ms": data["duration_ms"]}
        chunk = {"type": "tool-output-available", "output": output}
    return [chunk | {"toolCallId": data["tool_call_id"], "dynamic": True}]


def _confirmation(data: dict) -> list[dict]:
    fields_ = {key: data[key] for key in ("action_id", "tool_name", "summary", "expires_at")}
    return [{"type": "data-confirmation", "id": data["action_id"], "data": fields_}]


def _stat(data: dict) -> list[dict]:
    return [{"type": "data-stat", "data": {k: v for k, v in data.items() if k != "type"}}]


def _title(data: dict) -> list[dict]:
    title = {key: data[key] for key in ("conversation_id", "title")}
    return [{"type": "data-title", "data": title, "transient": True}]


def _complete(data: dict) -> list[dict]:
    metadata = {key: data[key] for key in ("finish_reason", "agent_type", "usage")}
    reason = UI_FINISH_REASONS[data["finish_reason"]]
    return [{"type": "finish", "finishReason": reason, "messageMetadata": metadata}]


def _error(data: dict) -> list[dict]:
    details = {key: data[key] for key in ("code", "retryable", "suggested_actions")}
    return [{"type": "data-error", "data": details}, {"type": "error", "errorText": data["error"]}]


_PARTS = {
    "start": _start,
    "agent": _agent,
    "tool_call": _tool_call,
    "tool_result": _tool_result,
    "stat_data": _stat,
    "confirmation_required": _confirmation,
    "complete": _complete,
    "error": _error,
}


def ui_message_stream(log, heartbeat: float) -> Iterator[bytes]:
    """The whole generation as a UI message stream, live until it ends, then `[DONE]`."""
    chunks = UIMessageChunks()
    for events in follow(log, 0, heartbeat):
        if not events:
            yield PING
            continue
        yield b"".join(
            b"data: " + compact_json(chunk).encode() + b"\n\n"
            for event in events
            for chunk in chunks.of(event)
        )
    yield DONE
