"""The SSE events of a generation, one schema per type, for the OpenAPI document.

Each event's `data:` line is one of these objects; its `type` repeats the `event:` name and
is the discriminator a generated client switches on.
"""

from __future__ import annotations

from marshmallow import fields

from ..agents.domains import DOMAINS
from ..agents.stats import KINDS, UNITS
from ..agents.supervisor import SUPERVISOR
from ..errors import ERRORS
from ..openapi import OPTIONAL, ResponseSchema
from .schemas import one_of
from .ui_protocol import UI_FINISH_REASONS

AGENT_TYPES = (SUPERVISOR, *DOMAINS)
FINISH_REASONS = tuple(UI_FINISH_REASONS)  # end_turn, max_tokens, stopped


def event_type(*names: str) -> fields.String:
    return fields.String(metadata={"enum": list(names)})


def agent_type(**kwargs) -> fields.String:
    return fields.String(metadata=one_of(AGENT_TYPES), **kwargs)


class StartEvent(ResponseSchema):
    """First event of every stream (sent again, without its id, before a replay)."""

    type = event_type("start")
    conversation_id = fields.UUID()
    generation_id = fields.UUID()
    user_message_id = fields.UUID()
    message_id = fields.UUID(metadata={"description": "The assistant message being written."})
    resume_url = fields.String(
        metadata={
            **OPTIONAL,
            "description": "This generation's events, openable with no header (EventSource) "
            "for 10 minutes: a signed, single-generation ticket in the query.",
        }
    )


class AgentEvent(ResponseSchema):
    """The supervisor routed the message to a domain agent."""

    type = event_type("agent")
    agent_type = agent_type()
    reason = fields.String(metadata=OPTIONAL)


class TokenEvent(ResponseSchema):
    """A piece of the answer's text, as soon as the model wrote it."""

    type = event_type("token")
    content = fields.String()
    agent_type = agent_type()


class ToolCallEvent(ResponseSchema):
    """A tool is about to run."""

    type = event_type("tool_call")
    tool_call_id = fields.String()
    tool_name = fields.String()
    agent_type = agent_type()
    input = fields.Dict()


class ToolResultEvent(ResponseSchema):
    """A tool finished."""

    type = event_type("tool_result")
    tool_call_id = fields.String()
    tool_name = fields.String()
    status = fields.String(metadata=one_of(["ok", "error"]))
    summary = fields.String()
    duration_ms = fields.Integer()


class ConfirmationRequiredEvent(ResponseSchema):
    """A destructive action waits for the user: POST /api/actions/{action_id}/confirm or
    /cancel."""

    type = event_type("confirmation_required")
    action_id = fields.UUID()
    tool_name = fields.String()
    summary = fields.String()
    expires_at = fields.String()


class StatValue(ResponseSchema):
    label = fields.String()
    value = fields.Float(allow_none=True, metadata={"description": "None: no data for it."})
    unit = fields.String(metadata=one_of(UNITS))


class StatPeriod(ResponseSchema):
    label = fields.String(metadata={"description": "As a person says it: March 2026, Q1 2026."})
    start = fields.Date(allow_none=True, metadata={"description": "First day; None: unbounded."})
    end = fields.Date(allow_none=True, metadata={"description": "Last day; None: unbounded."})


class StatDataEvent(ResponseSchema):
    """Figures a tool computed, to chart beside the answer (also kept in the answer's
    `metadata.stat_data`): one number, a series in order, or a breakdown into parts."""

    type = event_type("stat_data")
    tool_name = fields.String()
    agent_type = agent_type()
    title = fields.String()
    kind = fields.String(metadata=one_of(KINDS))
    values = fields.List(fields.Nested(StatValue))
    period = fields.Nested(StatPeriod, allow_none=True)


class TitleEvent(ResponseSchema):
    """The model titled the conversation (its first turn only, and only while the title is
    not the user's). Sent when the title arrives before the terminal event; a later one is
    only stored. GET /api/conversations shows it either way."""

    type = event_type("title")
    conversation_id = fields.UUID()
    title = fields.String()


class Usage(ResponseSchema):
    input_tokens = fields.Integer()
    output_tokens = fields.Integer()


class CompleteEvent(ResponseSchema):
    """Terminal: the answer is complete (or stopped), and saved."""

    type = event_type("complete")
    message_id = fields.UUID()
    agent_type = agent_type(allow_none=True)
    finish_reason = fields.String(metadata=one_of(FINISH_REASONS))
    usage = fields.Nested(Usage)


class ErrorEvent(ResponseSchema):
    """Terminal: the generation failed; the partial answer is saved."""

    type = event_type("error")
    code = fields.String(metadata=one_of(sorted(ERRORS)))
    error = fields.String(metadata={"description": "Text to show the user."})
    retryable = fields.Boolean()
    suggested_actions = fields.List(fields.String())


#: Every event a generation's stream carries, by type.
STREAM_EVENTS = {
    "start": StartEvent,
    "agent": AgentEvent,
    "token": TokenEvent,
    "tool_call": ToolCallEvent,
    "tool_result": ToolResultEvent,
    "stat_data": StatDataEvent,
    "confirmation_required": ConfirmationRequiredEvent,
    "title": TitleEvent,
    "complete": CompleteEvent,
    "error": ErrorEvent,
}


# The AI SDK's UI message stream (api/ui_protocol.py) ----------------------------------------
class UIStartChunk(ResponseSchema):
    type = event_type("start")
    messageId = fields.String()
    messageMetadata = fields.Dict(metadata={"description": "conversation and generation ids"})


class UITextChunk(ResponseSchema):
    type = event_type("text-start", "text-delta", "text-end")
    id = fields.String()
    delta = fields.String(metadata={**OPTIONAL, "description": "text-delta only"})


class UIToolChunk(ResponseSchema):
    type = event_type("tool-input-available", "tool-output-available", "tool-output-error")
    toolCallId = fields.String()
    dynamic = fields.Boolean()
    toolName = fields.String(metadata=OPTIONAL)
    input = fields.Dict(metadata=OPTIONAL)
    output = fields.Dict(metadata=OPTIONAL)
    errorText = fields.String(metadata=OPTIONAL)


class UIDataChunk(ResponseSchema):
    type = event_type("data-agent", "data-confirmation", "data-stat", "data-title", "data-error")
    id = fields.String(metadata=OPTIONAL)
    data = fields.Dict()
    transient = fields.Boolean(
        metadata={
            **OPTIONAL,
            "description": "data-title only: not a part of the message (useChat's onData).",
        }
    )


class UIFinishChunk(ResponseSchema):
    type = event_type("finish")
    finishReason = fields.String(metadata={"enum": sorted(set(UI_FINISH_REASONS.values()))})
    messageMetadata = fields.Dict()


class UIErrorChunk(ResponseSchema):
    type = event_type("error")
    errorText = fields.String()


UI_CHUNKS = {
    "start": UIStartChunk,
    "text-start": UITextChunk,
    "text-delta": UITextChunk,
    "text-end": UITextChunk,
    "tool-input-available": UIToolChunk,
    "tool-output-available": UIToolChunk,
    "tool-output-error": UIToolChunk,
    "data-agent": UIDataChunk,
    "data-confirmation": UIDataChunk,
    "data-stat": UIDataChunk,
    "data-title": UIDataChunk,
    "data-error": UIDataChunk,
    "finish": UIFinishChunk,
    "error": UIErrorChunk,
}
