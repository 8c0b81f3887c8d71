"""What the chat-completions emulator (tests/openai_emulator.py) plays: a script of steps for
a streamed answer, or an error answer instead of one, and helpers that build the usual ones.

A step is a chunk's `choices[0]` content (Delta), a usage chunk (UsageChunk), or an Action
(a pause, an error event, a dropped connection, ``[DONE]``, raw bytes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Delta:
    delta: dict
    finish_reason: str | None = None


@dataclass(frozen=True)
class UsageChunk:
    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True)
class Action:
    kind: str  # "pause" | "error" | "drop" | "done" | "raw"
    args: tuple = ()


@dataclass
class Script:
    """A 200 event stream: steps played in order, then the response ends cleanly."""

    steps: list = field(default_factory=list)
    headers: dict = field(default_factory=dict)  # sent besides its own (a Content-Encoding)


@dataclass
class HttpError:
    """A JSON error answer sent instead of a stream."""

    status: int
    body: dict
    headers: dict = field(default_factory=dict)


def pause(seconds: float) -> Action:
    return Action("pause", (seconds,))


def drop() -> Action:
    """Abruptly close the TCP connection: no further bytes, no terminating chunk."""
    return Action("drop")


def done() -> Action:
    """The ``data: [DONE]`` event that ends a stream."""
    return Action("done")


def raw(data: str | bytes) -> Action:
    """Bytes written as they are (comments, odd framing, a compressed body)."""
    return Action("raw", (data if isinstance(data, bytes) else data.encode(),))


def error_object(message: str, type_: str = "server_error", code=None) -> dict:
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


def stream_error(message: str, type_: str = "server_error", code=None) -> Action:
    """A ``data: {"error": {...}}`` event; the server ends the response (cleanly) after it."""
    return Action("error", (error_object(message, type_, code),))


def role() -> Delta:
    return Delta({"role": "assistant", "content": "", "refusal": None})


def text(content: str) -> Delta:
    return Delta({"content": content})


def finish(reason: str = "stop") -> Delta:
    return Delta({}, reason)


def usage(prompt_tokens: int = 10, completion_tokens: int = 5) -> UsageChunk:
    return UsageChunk(prompt_tokens, completion_tokens)


def split(text_: str, pieces: int) -> list[str]:
    """`text_` in `pieces` fragments of about equal length, cut wherever that falls."""
    size = max(1, -(-len(text_) // pieces))
    return [text_[i : i + size] for i in range(0, len(text_), size)] or [""]


def tool_call_deltas(index: int, call_id: str, name: str, arguments: dict, pieces=3) -> list:
    """One tool call as OpenAI streams it: id, type and name with empty arguments first, then
    the arguments JSON in `pieces` fragments (cut mid-token)."""
    start = {"index": index, "id": call_id, "type": "function"}
    start["function"] = {"name": name, "arguments": ""}
    fragments = [
        Delta({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
        for piece in split(json.dumps(arguments), pieces)
    ]
    return [Delta({"tool_calls": [start]}), *fragments]


def stream(*steps) -> Script:
    """A free-form script; lists (e.g. from tool_call_deltas) are flattened."""
    flat: list = []
    for step in steps:
        flat.extend(step if isinstance(step, list) else [step])
    return Script(flat)


def text_reply(*chunks: str, delay=0.0, finish_reason="stop", usage_=(10, 5)) -> Script:
    steps: list = [role()]
    for i, chunk in enumerate(chunks):
        steps += [pause(delay)] if i and delay else []
        steps.append(text(chunk))
    return stream(*steps, finish(finish_reason), usage(*usage_), done())


def tool_reply(*calls: tuple, text_before: str | None = None, usage_=(10, 5)) -> Script:
    """Tool calls, each ``(call_id, name, arguments)``, maybe after some text."""
    steps: list = [role()] + ([text(text_before)] if text_before is not None else [])
    for index, (call_id, name, arguments) in enumerate(calls):
        steps += tool_call_deltas(index, call_id, name, arguments)
    return stream(*steps, finish("tool_calls"), usage(*usage_), done())


def http_error(
    status: int, message: str, type_: str = "invalid_request_error", code=None, retry_after=None
) -> HttpError:
    """E.g. ``http_error(429, "Rate limit reached", "requests", "rate_limit_exceeded", "1")``."""
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return HttpError(status, error_object(message, type_, code), headers)
