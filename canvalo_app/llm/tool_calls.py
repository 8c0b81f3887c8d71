"""A tool call being received in pieces, as every provider streams one: its id and name first,
then its input JSON in fragments, which make a `ToolUse` only once all have arrived."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ..errors import AppError
from .base import ToolUse


@dataclass
class ToolCallParts:
    """A tool call's id and name, and the fragments of its input JSON so far."""

    id: str
    name: str
    pieces: list[str] = field(default_factory=list)

    def complete(self) -> ToolUse:
        """The whole call; an input that is not a JSON object is the model's error."""
        try:
            tool_input = json.loads("".join(self.pieces) or "{}")
        except ValueError:
            tool_input = None
        if not isinstance(tool_input, dict):
            raise AppError("MODEL_ERROR", "The model sent a tool input that is not a JSON object.")
        return ToolUse(self.id, self.name, tool_input)
