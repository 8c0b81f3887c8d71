"""The offline model: deterministic and rule-based, for development and tests. Not an AI.

A package of its own, outside the product's layers: only the provider factory
(canvalo_app/providers.py) imports it, so it can be removed without touching anything else.

It lets the whole product run with no credentials and no network, and it drives the same
agent loop a real model does: as supervisor it routes by keywords (or asks a clarifying
question); as a domain agent it turns the user's words into real tool calls with simple
intent and argument extraction, then writes a templated answer from the tools' results.
Answers stream word by word with `token_delay` seconds between words.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import date

from ..agents.summary import SUMMARY_TOOL
from ..agents.supervisor import REPLY_TOOL, ROUTE_TOOL
from ..llm.base import (
    ModelEvent,
    ModelProvider,
    ModelRequest,
    Stop,
    TextDelta,
    ToolUse,
    Usage,
    text_of,
)
from .followups import resolve
from .routing import CLARIFYING_QUESTION, route
from .rules import Step, agent_offered, rules_for
from .titles import offline_title

_WORD = re.compile(r"\S+\s*|\s+")


def words(text: str) -> list[str]:
    """Split text into word pieces that concatenate back to exactly `text`."""
    return _WORD.findall(text)


def estimate_tokens(text: str) -> int:
    return max(1, len(text) // 4) if text else 0


def latest_user_text(messages: list[dict]) -> str:
    for message in reversed(messages):
        if message["role"] == "user" and any("text" in b for b in message["content"]):
            return text_of(message).strip()
    return ""


def steps_this_turn(messages: list[dict]) -> list[Step]:
    """Tool calls made since the user's last words, paired with their results."""
    start = max(
        (
            i
            for i, m in enumerate(messages)
            if m["role"] == "user" and any("text" in b for b in m["content"])
        ),
        default=-1,
    )
    calls, results = {}, {}
    for message in messages[start + 1 :]:
        for block in message["content"]:
            if "toolUse" in block:
                calls[block["toolUse"]["toolUseId"]] = block["toolUse"]
            elif "toolResult" in block:
                results[block["toolResult"]["toolUseId"]] = block["toolResult"]
    steps = []
    for use_id, use in calls.items():
        result = results.get(use_id, {})
        body = next((c["json"] for c in result.get("content", []) if "json" in c), {})
        steps.append(
            Step(use["name"], use["input"], body.get("outcome", "error"), body.get("result", {}))
        )
    return steps


class OfflineProvider(ModelProvider):
    name = "offline"

    def __init__(self, token_delay: float = 0.0):
        self.token_delay = token_delay
        self._calls = 0

    def describe(self) -> dict:
        return {
            "provider": "offline",
            "model_id": "offline-rules",
            "note": "deterministic development model, not an AI",
        }

    def stream(self, request: ModelRequest) -> Iterator[ModelEvent]:
        text = resolve(latest_user_text(request.messages), request.messages)
        today = request.today or date.today()
        tool_names = {tool.name for tool in request.tools}
        output = ""
        if ROUTE_TOOL in tool_names:  # the supervisor: route, or reply (written next)
            agents, reason = route(text)
            if agents:
                call = (ROUTE_TOOL, {"agents": agents, "reason": reason})
            else:
                call = (REPLY_TOOL, {"kind": "clarify", "reason": "No agent matches."})
            yield from self._tool_uses([call])
            output = json.dumps(call)
        elif SUMMARY_TOOL in tool_names:  # folding old turns: keep their first words
            call = (SUMMARY_TOOL, {"summary": " ".join(text.split())[:600]})
            yield from self._tool_uses([call])
            output = json.dumps(call)
        elif request.purpose == "title":  # naming the conversation from its first message
            output = offline_title(latest_user_text(request.messages))
            yield from self.stream_text(output)
            yield Stop("end_turn")
        elif not tool_names:  # the supervisor's reply
            output = CLARIFYING_QUESTION
            yield from self.stream_text(output)
            yield Stop("end_turn")
        else:
            rules = rules_for(agent_offered(tool_names) or "")
            steps = steps_this_turn(request.messages)
            calls = rules.next_calls(text, steps, today) if rules else []
            calls = [(name, args) for name, args in calls if name in tool_names]
            if calls:
                yield from self._tool_uses(calls)
                output = json.dumps(calls)
            else:
                output = rules.answer(text, steps, today) if rules else self.echo(text)
                yield from self.stream_text(output)
                yield Stop("end_turn")
        prompt = request.system + "".join(json.dumps(m) for m in request.messages)
        yield Usage(estimate_tokens(prompt), estimate_tokens(output))

    def _tool_uses(self, calls: list[tuple[str, dict]]) -> Iterator[ModelEvent]:
        for name, args in calls:
            self._calls += 1
            yield ToolUse(f"offline-{self._calls}", name, args)
        yield Stop("tool_use")

    @staticmethod
    def echo(text: str) -> str:
        preview = text if len(text) <= 80 else text[:77] + "..."
        return (
            f'You said: "{preview}". I am the offline development model, so I answer '
            "from simple rules rather than AI."
        )

    def stream_text(self, text: str) -> Iterator[TextDelta]:
        for index, piece in enumerate(words(text)):
            if index and self.token_delay:
                time.sleep(self.token_delay)
            yield TextDelta(piece)
