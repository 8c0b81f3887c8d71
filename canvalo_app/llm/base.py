"""The model provider interface and the events a provider yields.

Conversations use the Bedrock Converse message shape, provider-neutral enough for all:
``{"role": "user"|"assistant", "content": [{"text": ...} | {"toolUse": {...}} |
{"toolResult": {...}}]}``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    input_schema: dict  # JSON schema of the tool's input, from its marshmallow schema


@dataclass
class ModelRequest:
    system: str
    messages: list[dict]
    tools: list[ToolSpec] = field(default_factory=list)
    max_tokens: int = 2048
    #: The business's date, which the system prompt also states (a provider may use it).
    today: date | None = None
    #: "any": the model must call one of `tools` and write no text; None: it decides.
    tool_choice: str | None = None
    #: What the call is for: "answer" (a turn's supervisor and agents), or a short call
    #: beside the turn — "summary" (agents/summary.py) or "title" (agents/titles.py). A
    #: provider may use it (to log, meter or route the call); none has to.
    purpose: str = "answer"


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class ToolUse:
    id: str
    name: str
    input: dict


@dataclass(frozen=True)
class Stop:
    reason: str  # end_turn | tool_use | max_tokens


@dataclass(frozen=True)
class Usage:
    input_tokens: int
    output_tokens: int


ModelEvent = TextDelta | ToolUse | Stop | Usage


class ModelProvider(ABC):
    """Streams one model call: text deltas as they are produced, tool uses, a stop, usage."""

    name: str

    @abstractmethod
    def stream(self, request: ModelRequest) -> Iterator[ModelEvent]: ...

    @abstractmethod
    def describe(self) -> dict:
        """What /health/ready reports: provider and model, never credentials."""

    def close(self) -> None:
        """Release connections (a provider that keeps none has nothing to do)."""


def text_of(message: dict) -> str:
    """The plain text of a Converse-shaped message."""
    return "".join(block.get("text", "") for block in message.get("content", []))
