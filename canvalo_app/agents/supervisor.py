"""The supervisor: the routing prompt, the one tool it may call, and reading its choice.

Every turn starts with a supervisor model call whose only tool is `route_to_agents`. A route
names the domain agents that own the request, in order; text instead of a route is a
clarifying question to the user.
"""

from __future__ import annotations

from functools import cache

from ..llm.base import ToolSpec, ToolUse
from .domains import agents

ROUTE_TOOL = "route_to_agents"
SUPERVISOR = "supervisor"
SUPERVISOR_PROMPT = (
    "You are the supervisor of Canvalo's assistant for a painting contractor. Decide which "
    "domain agents own the user's latest request and call route_to_agents with them, in the "
    "order they should act. Do not answer the request yourself. If you cannot tell what the "
    "user wants, ask one short clarifying question instead of routing.\nAgents:\n"
)


@cache
def route_spec() -> ToolSpec:
    return ToolSpec(
        ROUTE_TOOL,
        "Send the request to the domain agents that own it, in order.",
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["agents"],
            "properties": {
                "agents": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"type": "string", "enum": sorted(agents())},
                },
                "reason": {"type": "string", "description": "One short sentence: why."},
            },
        },
    )


@cache
def supervisor_prompt() -> str:
    catalogue = "\n".join(f"- {name}: {a.description}" for name, a in agents().items())
    return SUPERVISOR_PROMPT + catalogue


def routes_of(uses: list[ToolUse]) -> tuple[list[str], str | None]:
    """The known agents the supervisor's route calls name, in order and once each, and the
    reason it gave; other tool calls are ignored."""
    routed: list[str] = []
    reason = None
    for use in uses:
        if use.name == ROUTE_TOOL:
            wanted = use.input.get("agents") or []
            routed += [name for name in wanted if name in agents() and name not in routed]
            reason = use.input.get("reason")
    return routed, reason
