"""Rule sets of the offline model, one module per domain agent (`DOMAINS`).

Each module has two functions:

* ``next_calls(text, steps, today) -> list[tuple[str, dict]]`` — the tool calls to make next
  for the user's words `text`, given the `steps` already taken this turn; an empty list
  means "answer now".
* ``answer(text, steps, today) -> str`` — the reply composed from the steps' real results.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType

from ....agents.domains import DOMAINS


@dataclass(frozen=True)
class Step:
    """One tool call already made this turn and what it returned."""

    name: str
    input: dict
    status: str  # ok | error | pending_confirmation
    result: dict


def rules_for(agent_type: str) -> ModuleType | None:
    if agent_type not in DOMAINS:
        return None
    return importlib.import_module(f"{__name__}.{agent_type}")
