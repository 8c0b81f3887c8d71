"""Tools and the agents that own them, and the one place a tool call is executed.

A tool's input is a marshmallow schema: the same schema validates the call and produces the
JSON schema the model sees. The caller's identity is never an input — the server puts the
caller's own store into `ToolContext` — and unknown fields (a `user_id` among them) are
refused. Destructive tools never act directly: they become a pending action that only the
same user can confirm through the API. Results reach the model with their instants in the
business's time zone.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from apispec.ext.marshmallow import OpenAPIConverter
from marshmallow import RAISE, Schema, ValidationError

from ..llm.base import ToolSpec
from ..store.base import UserStore
from .zone import DEFAULT_ZONE, shown

_converter = OpenAPIConverter("3.0.3", lambda schema: None, None)


class ToolError(Exception):
    """A tool could not do what was asked (not found, bad state); the model is told why."""


class ToolInput(Schema):
    """Base of every tool input schema: unknown fields, `user_id` included, are refused."""

    class Meta:
        unknown = RAISE


@dataclass
class ToolContext:
    """What the server gives a tool: the caller's own store and the turn's facts: the date
    and the time zone where the business is."""

    store: UserStore
    today: date
    conversation_id: str | None = None
    message_id: str | None = None
    action_ttl_seconds: int = 600
    zone: ZoneInfo = ZoneInfo(DEFAULT_ZONE)


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    schema: Schema
    run: Callable[[ToolContext, dict], dict]
    #: Destructive tools need the user's confirmation; `describe` says what would happen.
    describe: Callable[[ToolContext, dict], str] | None = None

    @property
    def destructive(self) -> bool:
        return self.describe is not None

    def spec(self) -> ToolSpec:
        schema = _converter.schema2jsonschema(self.schema)
        schema.pop("additionalProperties", None)
        return ToolSpec(
            self.name, self.description, {"type": "object", **schema, "additionalProperties": False}
        )


@dataclass
class Agent:
    """A domain agent: its name is the `agent_type` clients see."""

    name: str
    description: str
    instructions: str
    tools: dict[str, Tool] = field(default_factory=dict)

    def tool(
        self,
        name: str,
        schema: Schema,
        description: str,
        describe: Callable[[ToolContext, dict], str] | None = None,
    ):
        """Register the decorated function as one of this agent's tools."""

        def decorator(run: Callable[[ToolContext, dict], dict]):
            self.tools[name] = Tool(name, description, schema, run, describe)
            return run

        return decorator

    def specs(self) -> list[ToolSpec]:
        return [tool.spec() for tool in self.tools.values()]


@dataclass
class ToolOutcome:
    status: str  # ok | error | pending_confirmation
    result: dict
    summary: str
    duration_ms: int
    action: dict | None = None


def execute(agent: Agent, name: str, raw_input: dict, ctx: ToolContext) -> ToolOutcome:
    """Run one tool call of `agent`, enforcing its allow-list and its schema."""
    started = time.monotonic()

    def outcome(status: str, result: dict, summary: str, action=None) -> ToolOutcome:
        return ToolOutcome(
            status, result, summary, int((time.monotonic() - started) * 1000), action
        )

    tool = agent.tools.get(name)
    if tool is None:
        return outcome(
            "error",
            {"error": f"Tool {name!r} is not available to the {agent.name} agent."},
            "Tool not allowed",
        )
    try:
        args = tool.schema.load(raw_input if isinstance(raw_input, dict) else {})
    except ValidationError as error:
        return outcome(
            "error", {"error": "Invalid input", "fields": error.messages}, "Invalid input"
        )
    try:
        if tool.destructive:
            action = _pending_action(agent, tool, args, ctx)
            result = {
                "status": "awaiting_confirmation",
                "action_id": action["id"],
                "summary": action["summary"],
                "note": "Nothing has changed yet. The user must confirm in the app.",
            }
            return outcome("pending_confirmation", result, action["summary"], action)
        result = shown(tool.run(ctx, args), ctx.zone)
    except ToolError as error:
        return outcome("error", {"error": str(error)}, str(error))
    return outcome("ok", result, result.get("summary", "Done"))


def _pending_action(agent: Agent, tool: Tool, args: dict, ctx: ToolContext) -> dict:
    expires = datetime.now(UTC) + timedelta(seconds=ctx.action_ttl_seconds)
    return ctx.store.create_action(
        {
            "conversation_id": ctx.conversation_id,
            "message_id": ctx.message_id,
            "agent_type": agent.name,
            "tool_name": tool.name,
            "input": tool.schema.dump(args),
            "summary": tool.describe(ctx, args),
            "status": "pending",
            "expires_at": expires.isoformat(timespec="microseconds"),
        }
    )


def run_confirmed(agent: Agent, action: dict, ctx: ToolContext) -> dict:
    """Execute a confirmed pending action (called only by the confirm endpoint)."""
    tool = agent.tools[action["tool_name"]]
    return tool.run(ctx, tool.schema.load(action["input"]))
