"""Helpers for the development model's own tests: drive its rules as the agent loop would,
and see the first tool calls it asks for. Only test_devmodel_*.py use them, so removing the
development model removes them with its tests."""

from __future__ import annotations

from canvalo_app.agents.tools import Agent, ToolContext, execute
from canvalo_app.devmodel import OfflineProvider
from canvalo_app.devmodel.rules import Step, rules_for
from canvalo_app.llm.base import ModelRequest, TextDelta, ToolUse
from tests.conftest import TODAY


def drive(agent: Agent, text: str, ctx: ToolContext) -> tuple[list[Step], str]:
    """Run the offline rules for `agent` as the agent loop would, with real tool results."""
    rules, steps = rules_for(agent.name), []
    while calls := rules.next_calls(text, steps, ctx.today):
        for name, args in calls:
            outcome = execute(agent, name, args, ctx)
            steps.append(Step(name, args, outcome.status, outcome.result))
    return steps, rules.answer(text, steps, ctx.today)


def first_calls(agent: Agent, text: str) -> list[ToolUse]:
    """What the offline model asks for first when `agent` gets `text`."""
    request = ModelRequest(
        system="",
        messages=[{"role": "user", "content": [{"text": text}]}],
        tools=agent.specs(),
        today=TODAY,
    )
    events = list(OfflineProvider().stream(request))
    assert not [e for e in events if isinstance(e, TextDelta)]
    return [e for e in events if isinstance(e, ToolUse)]
