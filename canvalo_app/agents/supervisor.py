"""The supervisor: the routing prompt, its two tools, and reading its choice.

Every turn starts with a supervisor model call that must call a tool and write no text (a
forced tool choice), so no routing chatter can ever reach the user. It calls
`route_to_agents`, naming the domain agents that own the request in order, or
`reply_to_user`, when the request needs a clarifying question or no agent at all. A reply is
then written by a second call without tools, and its words stream as the model writes them.
A model that writes text anyway without calling a tool has that text taken as its reply.
"""

from __future__ import annotations

from functools import cache

from ..llm.base import ToolSpec, ToolUse
from .domains import agents

ROUTE_TOOL = "route_to_agents"
REPLY_TOOL = "reply_to_user"
SUPERVISOR = "supervisor"
SUPERVISOR_PROMPT = (
    "You are the supervisor of Canvalo's assistant for a painting contractor. Decide which "
    "domain agents own the user's latest request and call route_to_agents with them, in the "
    "order they should act. If you cannot tell what the user wants, or no agent is needed "
    "(a greeting, a question about what you can do), call reply_to_user instead. Always call "
    "exactly one of the two tools, and write no text.\nAgents:\n"
)
REPLY_PROMPT = (
    "You are Canvalo's assistant for a painting contractor. Reply to the user's latest "
    "message now, briefly: {what} You can help with invoices, appointments, projects, "
    "proposals, contacts, reviews, campaigns, tasks, and the business's goals and settings. "
    "Never claim to have looked anything up or changed anything."
)
REPLY_KINDS = {
    "clarify": "ask one short question that finds out what they want.",
    "answer": "answer them directly.",
}


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
def reply_spec() -> ToolSpec:
    return ToolSpec(
        REPLY_TOOL,
        "Reply to the user yourself: a clarifying question when the request is unclear, or a "
        "direct answer when no agent is needed. The reply is written next; give no text here.",
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["kind"],
            "properties": {
                "kind": {"type": "string", "enum": sorted(REPLY_KINDS)},
                "reason": {"type": "string", "description": "One short sentence: why."},
            },
        },
    )


def reply_prompt(kind: str) -> str:
    return REPLY_PROMPT.format(what=REPLY_KINDS.get(kind, REPLY_KINDS["clarify"]))


@cache
def supervisor_prompt() -> str:
    catalogue = "\n".join(f"- {name}: {a.description}" for name, a in agents().items())
    return SUPERVISOR_PROMPT + catalogue


def routes_of(uses: list[ToolUse]) -> tuple[list[str], str | None, str | None]:
    """What the supervisor chose: the known agents its route calls name, in order and once
    each, the reason it gave, and the kind of reply it asked for instead (None if none)."""
    routed: list[str] = []
    reason = reply = None
    for use in uses:
        if use.name == ROUTE_TOOL:
            wanted = use.input.get("agents") or []
            routed += [name for name in wanted if name in agents() and name not in routed]
            reason = use.input.get("reason")
        elif use.name == REPLY_TOOL:
            reply = str(use.input.get("kind") or "clarify")
    return routed, reason, reply
