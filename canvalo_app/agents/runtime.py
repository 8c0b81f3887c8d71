"""One assistant turn: build the context, call the model, yield the stream's events."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from flask import Flask

from ..llm.base import ModelRequest, Stop, TextDelta, Usage
from ..store.base import UserStore

SYSTEM_PROMPT = (
    "You are Canvalo's assistant for a painting contractor. Answer briefly and "
    "only from the user's own records."
)


@dataclass
class TurnState:
    """What the turn produced besides text: who answered, why it stopped, what it cost."""

    agent_type: str | None = None
    finish_reason: str = "end_turn"
    usage: dict = field(default_factory=lambda: {"input_tokens": 0, "output_tokens": 0})
    tool_calls: list[dict] = field(default_factory=list)
    model_calls: int = 0

    def add_usage(self, usage: Usage) -> None:
        self.usage["input_tokens"] += usage.input_tokens
        self.usage["output_tokens"] += usage.output_tokens

    def metadata(self) -> dict:
        metadata: dict = {"usage": dict(self.usage)}
        if self.tool_calls:
            metadata["tool_calls"] = list(self.tool_calls)
        return metadata


def history(store: UserStore, conversation_id: str, skip_id: str, limit: int = 40) -> list[dict]:
    """The stored conversation in Converse shape, without the row being generated."""
    rows = [r for r in store.recent_messages(conversation_id, limit) if r["id"] != skip_id]
    return [{"role": r["role"], "content": [{"text": r["content"]}]} for r in rows if r["content"]]


def run_turn(
    app: Flask, store: UserStore, generation, user_text: str, state: TurnState
) -> Iterator[tuple[str, dict]]:
    model = app.extensions["model"]
    state.agent_type = "assistant"
    request = ModelRequest(
        system=SYSTEM_PROMPT,
        messages=history(store, generation.conversation_id, generation.message_id),
        max_tokens=app.config["MAX_OUTPUT_TOKENS"],
    )
    state.model_calls += 1
    for event in model.stream(request):
        if isinstance(event, TextDelta):
            yield "token", {"content": event.text, "agent_type": state.agent_type}
        elif isinstance(event, Stop):
            state.finish_reason = "max_tokens" if event.reason == "max_tokens" else "end_turn"
        elif isinstance(event, Usage):
            state.add_usage(event)
