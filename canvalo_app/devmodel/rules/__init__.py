"""Rule sets of the offline model, one module per domain agent (`DOMAINS`).

Each module has two functions:

* ``next_calls(text, steps, today) -> list[tuple[str, dict]]`` — the tool calls to make next
  for the user's words `text`, given the `steps` already taken this turn; an empty list
  means "answer now".
* ``answer(text, steps, today) -> str`` — the reply composed from the steps' real results.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from ...agents.domains import DOMAINS, agents


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


def agent_offered(tool_names: set[str]) -> str | None:
    """Which domain agent is asking: the one whose tools the request offers."""
    for name, agent in agents().items():
        if tool_names and tool_names <= set(agent.tools):
            return name
    return None


# Planning and replying: the two-round "find, then act" plan every domain uses ---------
Call = tuple[str, dict]
CONFIRM_NOTE = "Nothing changes until you confirm it in the app."


def find_then_act(
    steps: list[Step], find: Call, key: str, act: Callable[[dict], Call | None]
) -> list[Call]:
    """Two rounds: look records up with `find`, then `act` on the single match found in
    `result[key]`. No further call when nothing or several matched (the answer asks)."""
    if not steps:
        return [find]
    rows = (steps[0].result.get(key) or []) if steps[0].status == "ok" else []
    if len(steps) == 1 and len(rows) == 1:
        call = act(rows[0])
        return [call] if call else []
    return []


def not_one(step: Step, key: str, noun: str, query: str, describe: Callable[[dict], str]) -> str:
    """The reply when a lookup did not find exactly one record, or "" when it did."""
    if step.status != "ok":
        return failed(step)
    rows = step.result.get(key) or []
    matching = f" matching “{query}”" if query else ""
    if not rows:
        return f"I couldn't find any {noun}{matching}."
    if len(rows) > 1:
        listed = "; ".join(describe(row) for row in rows[:5])
        return f"I found {len(rows)} {noun}s{matching}: {listed}. Which one did you mean?"
    return ""


def failed(step: Step) -> str:
    """The reply for a step that errored or awaits confirmation."""
    if step.status == "pending_confirmation":
        action = step.result.get("summary") or "Do that"
        return f"I've asked you to confirm: {action}. {CONFIRM_NOTE}"
    return f"I couldn't do that: {step.result.get('error', 'the tool failed')}"
