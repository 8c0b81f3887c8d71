"""A scripted model for tests: replays given text, tool calls, pauses and failures.

It stands where the network model stands (the provider interface), so everything of ours
— supervisor, agents, tools, engine, store — runs for real around it.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections import deque
from dataclasses import dataclass

from canvalo_app.llm.base import ModelProvider, ModelRequest, Stop, TextDelta, ToolUse, Usage

_ids = itertools.count(1)
_WORD = re.compile(r"\S+\s*|\s+")


def words(text: str) -> list[str]:
    """Word pieces that concatenate back to exactly `text`, as a model streams them."""
    return _WORD.findall(text)


@dataclass(frozen=True)
class Pause:
    seconds: float


@dataclass(frozen=True)
class Wait:
    """Block until the test sets the event (a model that has gone quiet)."""

    event: threading.Event
    timeout: float = 10.0


def say(text: str, delay: float = 0.0, stop: str = "end_turn") -> list:
    pieces: list = []
    for index, piece in enumerate(words(text)):
        if index and delay:
            pieces.append(Pause(delay))
        pieces.append(TextDelta(piece))
    return [*pieces, Stop(stop), Usage(12, len(pieces))]


def route(*agents: str) -> list:
    return [
        ToolUse(
            f"route-{next(_ids)}", "route_to_agents", {"agents": list(agents), "reason": "scripted"}
        ),
        Stop("tool_use"),
        Usage(8, 2),
    ]


def call(name: str, **arguments) -> list:
    return [ToolUse(f"call-{next(_ids)}", name, arguments), Stop("tool_use"), Usage(9, 3)]


class ScriptedModel(ModelProvider):
    name = "scripted"

    def __init__(self, *calls: list, default: list | None = None):
        self.calls = deque(calls)
        self.default = default
        self.requests: list[ModelRequest] = []

    def describe(self) -> dict:
        return {"provider": "scripted", "model_id": "test"}

    def stream(self, request: ModelRequest):
        self.requests.append(request)
        script = self.calls.popleft() if self.calls else (self.default or say("Done."))
        for item in script:
            if isinstance(item, BaseException):
                raise item
            if isinstance(item, Pause):
                time.sleep(item.seconds)
            elif isinstance(item, Wait):
                item.event.wait(item.timeout)
            else:
                yield item


def install(app, *calls: list, **kwargs) -> ScriptedModel:
    model = ScriptedModel(*calls, **kwargs)
    app.extensions["model"] = model
    return model
