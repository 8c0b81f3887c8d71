"""The OpenAI chat-completions wire format, both ways, for `OpenAIProvider`.

Out: Converse-shaped messages become chat messages (the system prompt first; `toolUse` blocks
become an assistant's `tool_calls` with JSON-string arguments; `toolResult` blocks become
`role: tool` messages), tool specs become `function` tools. In: the server-sent events of a
streamed completion (`data: {chunk}` … `data: [DONE]`) become model events — text at once,
tool calls (assembled by `index` from their deltas) and the stop when `finish_reason` arrives,
usage from the last chunk (`stream_options.include_usage`). A chunk of any other shape is the
server's error (MODEL_ERROR), as a malformed Bedrock event is.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator

from ..errors import AppError
from .base import ModelEvent, ModelRequest, Stop, TextDelta, ToolSpec, Usage
from .tool_calls import ToolCallParts

FINISH_REASONS = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",  # the deprecated form some servers still send
}


def request_body(model: str, request: ModelRequest) -> dict:
    """The JSON body of a streamed `POST /chat/completions` for `request`."""
    messages = [{"role": "system", "content": request.system}] if request.system else []
    for message in request.messages:
        messages += chat_messages(message)
    body = {
        "model": model,
        "messages": messages,
        "max_tokens": request.max_tokens,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    if request.tools:
        body["tools"] = [function_tool(spec) for spec in request.tools]
        if request.tool_choice == "any":
            body["tool_choice"] = "required"
    return body


def function_tool(spec: ToolSpec) -> dict:
    return {
        "type": "function",
        "function": {
            "name": spec.name,
            "description": spec.description,
            "parameters": spec.input_schema,
        },
    }


def chat_messages(message: dict) -> list[dict]:
    """One Converse message as chat messages: an assistant turn with its tool calls, or a
    user turn's tool results (each its own `tool` message, right after the calls) and text."""
    blocks = message.get("content", [])
    text = "".join(block.get("text", "") for block in blocks)
    if message["role"] == "assistant":
        calls = [_tool_call(block["toolUse"]) for block in blocks if "toolUse" in block]
        # A text, never null: Ollama rejects a null content beside tool calls.
        return [{"role": "assistant", "content": text, **({"tool_calls": calls} if calls else {})}]
    results = [_tool_message(block["toolResult"]) for block in blocks if "toolResult" in block]
    return results + ([{"role": "user", "content": text}] if text or not results else [])


def _tool_call(use: dict) -> dict:
    arguments = json.dumps(use["input"])
    return {
        "id": use["toolUseId"],
        "type": "function",
        "function": {"name": use["name"], "arguments": arguments},
    }


def _tool_message(result: dict) -> dict:
    parts = [
        json.dumps(part["json"]) if "json" in part else part.get("text", "")
        for part in result.get("content", [])
    ]
    return {"role": "tool", "tool_call_id": result["toolUseId"], "content": "\n".join(parts)}


def sse_data(lines: Iterable[str]) -> Iterator[str]:
    """The data of each server-sent event (its `data:` lines joined); comments, `event:` and
    other fields are skipped. An event the stream ends in without a blank line still counts."""
    data: list[str] = []
    for line in lines:
        if not line:
            if data:
                yield "\n".join(data)
            data = []
            continue
        field_name, _, value = line.partition(":")
        if field_name == "data":
            data.append(value[1:] if value.startswith(" ") else value)
    if data:
        yield "\n".join(data)


def estimate_tokens(characters: int) -> int:
    """About four characters a token: the usage reported for a server that sends none."""
    return characters // 4 + 1


class _Completion:
    """What one streamed completion has said so far: its tool calls by index, whether it has
    stopped, and how many characters it wrote."""

    def __init__(self) -> None:
        self.calls: dict[int, ToolCallParts] = {}
        self.stopped = False
        self.output_chars = 0

    def choice(self, choice) -> Iterator[ModelEvent]:
        """The events of one choice; only the first choice counts, and a completion that has
        stopped says nothing more (some servers send the finish_reason on two chunks)."""
        choice = _shaped(choice, dict, "a choice that is not an object") or {}
        if self.stopped or choice.get("index", 0) != 0:
            return
        delta = _shaped(choice.get("delta"), dict, "a delta that is not an object") or {}
        if isinstance(delta.get("content"), str) and delta["content"]:
            self.output_chars += len(delta["content"])
            yield TextDelta(delta["content"])
        for call in _shaped(delta.get("tool_calls"), list, "tool_calls that are not a list") or []:
            self._tool_call_delta(_shaped(call, dict, "a tool call that is not an object") or {})
        finish_reason = _shaped(choice.get("finish_reason"), str, "a non-text finish_reason")
        if finish_reason:
            yield from self._stop(finish_reason)

    def _tool_call_delta(self, call: dict) -> None:
        index = _shaped(call.get("index"), int, "a tool call index that is not a number")
        call_id = _shaped(call.get("id"), str, "a tool call id that is not a text")
        function = _shaped(call.get("function"), dict, "a function that is not an object") or {}
        name = _shaped(function.get("name"), str, "a function name that is not a text") or ""
        if index is None:  # servers that send calls without an index
            index = self._index_of(call_id)
        parts = self.calls.get(index)
        if parts is None:
            call_id = call_id or f"call_{uuid.uuid4().hex[:24]}"
            parts = self.calls[index] = ToolCallParts(call_id, "")
        parts.name = parts.name or name
        arguments = function.get("arguments")
        if arguments:
            piece = arguments if isinstance(arguments, str) else json.dumps(arguments)
            self.output_chars += len(piece)
            parts.pieces.append(piece)

    def _index_of(self, call_id: str | None) -> int:
        """The call with this id, or a new one; a fragment without an id is the last call's."""
        for index, parts in self.calls.items():
            if call_id and parts.id == call_id:
                return index
        if call_id or not self.calls:
            return max(self.calls, default=-1) + 1
        return max(self.calls)

    def _stop(self, finish_reason: str) -> Iterator[ModelEvent]:
        reason = FINISH_REASONS.get(finish_reason, "end_turn")
        if self.calls and reason == "end_turn":
            reason = "tool_use"  # Ollama, and some vLLM tool parsers, finish calls with "stop"
        for index in sorted(self.calls):
            parts = self.calls.pop(index)
            if not parts.name:
                raise AppError("MODEL_ERROR", "The model sent a tool call without a name.")
            yield parts.complete()
        self.stopped = True
        yield Stop(reason)


def chat_events(data: Iterable[str], input_tokens: int) -> Iterator[ModelEvent]:
    """Translate the events of a streamed completion. Usage comes last, once: the last chunk's
    that carried any (a server may repeat a running total), else an estimate, `input_tokens`
    for the request and one from the characters written."""
    completion = _Completion()
    usage = None
    for text in data:
        if text.strip() == "[DONE]":
            break
        chunk = _chunk(text)
        for choice in _shaped(chunk.get("choices"), list, "choices that are not a list") or []:
            yield from completion.choice(choice)
        usage = _usage(chunk.get("usage")) or usage
    if not completion.stopped:
        raise AppError("MODEL_STREAM_INCOMPLETE")
    yield usage or Usage(input_tokens, estimate_tokens(completion.output_chars))


def _shaped(value, kind: type, what: str):
    """`value` when it is absent (null) or a `kind`. Any other shape makes the chunk malformed:
    the model server's error, as a broken event is, never a defect of ours."""
    wrong = not isinstance(value, kind) or (kind is int and isinstance(value, bool))
    if value is not None and wrong:
        raise AppError("MODEL_ERROR", f"The model server sent {what}.")
    return value


def _usage(usage) -> Usage | None:
    """A chunk's usage; None when it carries none, or counts that are not whole numbers."""
    if not isinstance(usage, dict) or not usage:
        return None
    counts = [usage.get("prompt_tokens") or 0, usage.get("completion_tokens") or 0]
    if not all(isinstance(count, int) and count >= 0 for count in counts):
        return None
    return Usage(*counts)


def _chunk(text: str) -> dict:
    try:
        chunk = json.loads(text)
    except ValueError:
        chunk = None
    if not isinstance(chunk, dict):
        raise AppError("MODEL_ERROR", "The model server sent a stream event that is not JSON.")
    if chunk.get("error"):
        raise StreamErrorObject(chunk["error"])
    return chunk


class StreamErrorObject(Exception):
    """An `{"error": {...}}` object the server sent inside the stream; the provider's
    classifier maps it to an error code."""

    def __init__(self, error):
        super().__init__("error object in the stream")
        self.error = error if isinstance(error, dict) else {"message": str(error)}
