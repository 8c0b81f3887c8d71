"""Tools and the agents that own them, and the one place a tool call is executed.

A tool's input is a marshmallow schema: the same schema validates the call and produces the
JSON schema the model sees. The caller's identity is never an input — the server puts the
caller's own store into `ToolContext` — and unknown fields (a `user_id` among them) are
refused. Every text input refuses characters no store keeps, every date lies in a span
where date sums cannot overflow, and numbers use the bounded fields below. A reference to
another record must name one of the caller's own. Destructive tools never act directly: they
become a pending action that only the same user can confirm through the API. Results reach
the model as finite JSON with their instants in the business's time zone, and a tool that
fails unexpectedly is an error result, so the model can still answer.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from apispec.ext.marshmallow import OpenAPIConverter
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from ..errors import AppError
from ..llm.base import ToolSpec
from ..metrics import tool_called
from ..store.base import UserStore
from .zone import DEFAULT_ZONE, shown

log = logging.getLogger(__name__)
_converter = OpenAPIConverter("3.0.3", lambda schema: None, None)

#: The most dollars (or goal units) and the largest count any tool takes: far beyond one
#: painting business, and well inside the numeric columns of both stores.
MAX_AMOUNT = 1_000_000_000
MAX_COUNT = 1_000_000_000
#: Dates a tool takes, with room on both sides for date sums (due dates, next days, offsets).
FIRST_YEAR, LAST_YEAR = 1900, 2200
#: What the model is told when a tool fails for a reason it cannot fix; details go to the log.
FAILED = (
    "The tool failed unexpectedly on the server. Tell the user it could not be done just now; "
    "calling it again with the same input will not help."
)


class ToolError(Exception):
    """A tool could not do what was asked (not found, bad state); the model is told why."""


def plain_text(value) -> None:
    """Refuse text no store keeps: a NUL character or half of a surrogate pair."""
    if not isinstance(value, str):
        return
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError("Not valid text: it holds an unpaired surrogate character.") from None
    if "\x00" in value:
        raise ValidationError("Not valid text: it holds a NUL character.")


def in_calendar(value) -> None:
    """Refuse a date or time outside FIRST_YEAR-LAST_YEAR."""
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError(f"Must be in the years {FIRST_YEAR} to {LAST_YEAR}.")


class ToolInput(Schema):
    """Base of every tool input schema: unknown fields, `user_id` included, are refused, and
    every text and date field, nested ones too, gets `plain_text` or `in_calendar`."""

    class Meta:
        unknown = RAISE

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        while isinstance(field_obj, fields.List):
            field_obj = field_obj.inner
        if isinstance(field_obj, fields.String):
            check = plain_text
        elif isinstance(field_obj, fields.Date | fields.DateTime):
            check = in_calendar
        else:
            return
        # A bound field is a shallow copy of the declared one: give it a list of its own.
        field_obj.validators = [*field_obj.validators, check]


class Amount(fields.Float):
    """A number rounded to the cent, from 0 (more than 0 if `positive`) up to `maximum`:
    dollars, or a goal's units."""

    def __init__(self, *, maximum: float = MAX_AMOUNT, positive: bool = False, **kwargs):
        super().__init__(validate=validate.Range(0, maximum, min_inclusive=not positive), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> float:
        return round(super()._deserialize(value, attr, data, **kwargs), 2)


class Count(fields.Integer):
    """A whole number from 0 up to `maximum`."""

    def __init__(self, *, maximum: int = MAX_COUNT, **kwargs):
        super().__init__(validate=validate.Range(0, maximum), **kwargs)


class Reference(fields.UUID):
    """The id of another of the caller's records, in `table`. `execute` refuses an id that is
    not one of theirs before the tool runs, so no row of theirs points at one that is not."""

    def __init__(self, table: str, noun: str, **kwargs):
        super().__init__(**kwargs)
        self.table, self.noun = table, noun


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
    #: Destructive tools need the user's confirmation: `describe` says what the user is
    #: asked to confirm, or None when this call needs no confirmation and runs at once.
    describe: Callable[[ToolContext, dict], str | None] | None = None

    @property
    def destructive(self) -> bool:
        """Whether a call may wait for the user's confirmation."""
        return self.describe is not None

    @cached_property
    def spec(self) -> ToolSpec:
        """What the model sees of the tool, built once from its input schema."""
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
        describe: Callable[[ToolContext, dict], str | None] | None = None,
    ):
        """Register the decorated function as one of this agent's tools."""

        def decorator(run: Callable[[ToolContext, dict], dict]):
            self.tools[name] = Tool(name, description, schema, run, describe)
            return run

        return decorator

    def specs(self) -> list[ToolSpec]:
        return [tool.spec for tool in self.tools.values()]


@dataclass
class ToolOutcome:
    status: str  # ok | error | pending_confirmation
    result: dict
    summary: str
    duration_ms: int
    action: dict | None = None


def execute(agent: Agent, name: str, raw_input: dict, ctx: ToolContext) -> ToolOutcome:
    """Run one tool call of `agent`, enforcing its allow-list, its schema and its references.

    Whatever goes wrong, the model gets a result it can answer from, except an AppError (the
    store is down, the session has lapsed): that ends the turn and tells the user.
    """
    started = time.monotonic()

    def outcome(status: str, result: dict, summary: str, action=None) -> ToolOutcome:
        tool_called(name if name in agent.tools else "unknown", status)
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
        if missing := unknown_references(tool.schema, args, ctx):
            error = " ".join(message for messages in missing.values() for message in messages)
            return outcome("error", {"error": error, "fields": missing}, error)
        if tool.destructive and (summary := tool.describe(ctx, args)) is not None:
            action = _pending_action(agent, tool, args, summary, ctx)
            result = {
                "status": "awaiting_confirmation",
                "action_id": action["id"],
                "summary": action["summary"],
                "note": "Nothing has changed yet. The user must confirm in the app.",
            }
            return outcome("pending_confirmation", result, action["summary"], action)
        result = json_safe(shown(tool.run(ctx, args), ctx.zone))
    except ValidationError as error:
        return outcome(
            "error", {"error": "Invalid input", "fields": error.messages}, "Invalid input"
        )
    except ToolError as error:
        return outcome("error", {"error": str(error)}, str(error))
    except AppError:
        raise
    except Exception:
        log.exception("tool %s of the %s agent failed", name, agent.name)
        return outcome("error", {"error": FAILED}, "The tool failed")
    return outcome("ok", result, result.get("summary", "Done"))


def unknown_references(schema: Schema, args: dict, ctx: ToolContext) -> dict[str, list[str]]:
    """The `Reference` fields in `args` that name none of the caller's records, with why."""
    return {
        key: [f"No {field.noun} with that id."]
        for key, field in schema.fields.items()
        if isinstance(field, Reference)
        and args.get(key) is not None
        and ctx.store.get_record(field.table, str(args[key])) is None
    }


def json_safe(value):
    """`value` as strict JSON can carry it, and a store can keep it: every infinite or NaN
    number made None, every lone surrogate in a string made "?"."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {json_safe(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_safe(item) for item in value]
    return value


def _pending_action(agent: Agent, tool: Tool, args: dict, summary: str, ctx: ToolContext) -> dict:
    expires = datetime.now(UTC) + timedelta(seconds=ctx.action_ttl_seconds)
    return ctx.store.create_action(
        {
            "conversation_id": ctx.conversation_id,
            "message_id": ctx.message_id,
            "agent_type": agent.name,
            "tool_name": tool.name,
            "input": tool.schema.dump(args),
            "summary": summary,
            "status": "pending",
            "expires_at": expires.isoformat(timespec="microseconds"),
        }
    )


def run_confirmed(agent: Agent, action: dict, ctx: ToolContext) -> dict:
    """Execute a confirmed pending action (called only by the confirm endpoint); its result as
    the model would get it. A tool that refuses now (the record changed meanwhile) raises
    ToolError; a store failure raises its AppError."""
    tool = agent.tools[action["tool_name"]]
    return json_safe(shown(tool.run(ctx, tool.schema.load(action["input"])), ctx.zone))
