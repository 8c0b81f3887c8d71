"""One assistant turn: the supervisor routes, each chosen domain agent answers in turn.

The supervisor is a model call whose only tool is `route_to_agents`; text instead of a route
is a clarifying question. Each domain agent then runs the model with its own tools until it
answers in text, and that text streams straight to the client under its `agent_type`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from flask import Flask

from ..errors import AppError
from ..llm.base import ModelRequest, Stop, TextDelta, ToolUse, Usage
from ..metrics import model_call
from ..store.base import UserStore
from .context import business_profile, history, system_preamble, today_for, tool_context
from .domains import agents
from .memory import records_of, tools_note
from .stats import stat_events
from .supervisor import (
    SUPERVISOR,
    reply_prompt,
    reply_spec,
    route_spec,
    routes_of,
    supervisor_prompt,
)
from .tools import Agent, ToolContext, execute, json_safe

log = logging.getLogger(__name__)

AGENT_PROMPT = (
    "You are Canvalo's {name} agent, working for a painting contractor on their own records. "
    "{instructions}\nUse only your tools; never invent records, amounts or dates. Deletes, "
    "cancellations, sends and schedules wait for the user's confirmation in the app: say so "
    "plainly."
)


@dataclass
class TurnState:
    """What the turn produced besides text: who answered, why it stopped, what it cost."""

    agent_type: str | None = None
    finish_reason: str = "end_turn"
    usage: dict = field(default_factory=lambda: {"input_tokens": 0, "output_tokens": 0})
    tool_calls: list[dict] = field(default_factory=list)
    stat_data: list[dict] = field(default_factory=list)
    model_calls: int = 0

    def add_usage(self, usage: Usage) -> None:
        self.usage["input_tokens"] += usage.input_tokens
        self.usage["output_tokens"] += usage.output_tokens

    def metadata(self) -> dict:
        metadata: dict = {"usage": dict(self.usage)}
        if self.tool_calls:
            metadata["tool_calls"] = list(self.tool_calls)
        if self.stat_data:
            metadata["stat_data"] = list(self.stat_data)
        return metadata


@dataclass
class Turn:
    app: Flask
    store: UserStore
    state: TurnState
    today: date

    def __post_init__(self):
        self.config = self.app.config
        self.model = self.app.extensions["model"]

    def call_model(
        self, request: ModelRequest, agent_type: str, text: list[str]
    ) -> Iterator[tuple[str, dict] | ToolUse]:
        """One model call: tokens go out as events, tool uses are yielded for the caller."""
        self.state.model_calls += 1
        if self.state.model_calls > self.config["MAX_MODEL_CALLS"]:
            raise AppError("TURN_LIMIT_REACHED", "The turn reached its model call limit.")
        for event in model_call(self.model.name, self.model.stream(request)):
            if isinstance(event, TextDelta):
                text.append(event.text)
                yield "token", {"content": event.text, "agent_type": agent_type}
            elif isinstance(event, ToolUse):
                yield event
            elif isinstance(event, Stop):
                self.state.finish_reason = (
                    "max_tokens" if event.reason == "max_tokens" else ("end_turn")
                )
            elif isinstance(event, Usage):
                self.state.add_usage(event)

    def supervise(self, messages: list[dict], preamble: str) -> Iterator[tuple[str, dict]]:
        """Yield `agent` routing decisions, or stream the supervisor's own reply (see
        agents/supervisor.py): no text of the routing call itself is shown."""
        request = ModelRequest(
            f"{supervisor_prompt()}\n\n{preamble}",
            messages,
            [route_spec(), reply_spec()],
            self.config["MAX_OUTPUT_TOKENS"],
            self.today,
            tool_choice="any",
        )
        self.state.agent_type = SUPERVISOR
        uses: list[ToolUse] = []
        said: list[tuple[str, dict]] = []
        for item in self.call_model(request, SUPERVISOR, []):
            (uses if isinstance(item, ToolUse) else said).append(item)
        routed, reason, reply = routes_of(uses)
        for name in routed:
            yield "agent", {"agent_type": name, **({"reason": reason} if reason else {})}
        if routed:
            return
        if reply is None:  # text without a tool: a model that ignored the forced choice
            yield from said
            return
        answer = ModelRequest(
            f"{reply_prompt(reply)}\n\n{preamble}",
            messages,
            [],
            self.config["MAX_OUTPUT_TOKENS"],
            self.today,
        )
        for item in self.call_model(answer, SUPERVISOR, []):  # streams as it is written
            if not isinstance(item, ToolUse):
                yield item

    def run_agent(
        self, agent: Agent, messages: list[dict], preamble: str, ctx: ToolContext
    ) -> Iterator[tuple[str, dict]]:
        """The agent's tool loop: call the model, run its tools, until it answers in text."""
        system = AGENT_PROMPT.format(name=agent.name, instructions=agent.instructions)
        messages = list(messages)
        while True:
            request = ModelRequest(
                f"{system}\n\n{preamble}",
                messages,
                agent.specs(),
                self.config["MAX_OUTPUT_TOKENS"],
                self.today,
            )
            text: list[str] = []
            uses: list[ToolUse] = []
            for item in self.call_model(request, agent.name, text):
                if isinstance(item, ToolUse):
                    uses.append(item)
                else:
                    yield item
            if not uses:
                return
            results = []
            for use in uses:
                results.append((yield from self.run_tool(agent, use, ctx)))
            said = [{"text": "".join(text)}] if "".join(text).strip() else []
            messages += [
                {
                    "role": "assistant",
                    "content": said
                    + [
                        {"toolUse": {"toolUseId": u.id, "name": u.name, "input": u.input}}
                        for u in uses
                    ],
                },
                {"role": "user", "content": results},
            ]

    def run_tool(self, agent: Agent, use: ToolUse, ctx: ToolContext):
        """Run one tool call: its events out, its record in the turn's metadata; returns the
        tool result for the model."""
        if len(self.state.tool_calls) >= self.config["MAX_TOOL_CALLS"]:
            raise AppError("TURN_LIMIT_REACHED", "The turn reached its tool call limit.")
        shown_input = json_safe(use.input)  # the model's raw input may hold 1e999 or "\ud800"
        call = {"tool_call_id": use.id, "tool_name": use.name, "agent_type": agent.name}
        yield "tool_call", {**call, "input": shown_input}
        outcome = execute(agent, use.name, use.input, ctx)
        status = "error" if outcome.status == "error" else "ok"
        done = {"summary": outcome.summary, "duration_ms": outcome.duration_ms}
        self.state.tool_calls.append(
            {"id": use.id, "name": use.name, "agent_type": agent.name, "input": shown_input}
            | {"status": outcome.status, **done, "records": records_of(outcome.result)}
        )
        yield (
            "tool_result",
            {"tool_call_id": use.id, "tool_name": use.name, "status": status, **done},
        )
        for event in stat_events(use.name, agent.name, outcome.result):
            self.state.stat_data.append(event[1])
            yield event
        if outcome.action:
            action = outcome.action
            yield (
                "confirmation_required",
                {"action_id": action["id"], "tool_name": use.name, "summary": action["summary"]}
                | {"expires_at": action["expires_at"]},
            )
        return {
            "toolResult": {
                "toolUseId": use.id,
                "status": "error" if status == "error" else "success",
                "content": [{"json": {"outcome": outcome.status, "result": outcome.result}}],
            }
        }


def run_turn(
    app: Flask, store: UserStore, generation, state: TurnState
) -> Iterator[tuple[str, dict]]:
    """All the events of one turn, for the runner to log, save and stream. The user's words
    are the newest message of the stored history."""
    messages, summary = history(
        store, generation.conversation_id, generation.message_id, app.config["HISTORY_TOKEN_BUDGET"]
    )
    profile = business_profile(store)
    today = today_for(profile)
    preamble = system_preamble(store, profile, today)
    if summary:
        preamble += "\n" + summary
    turn = Turn(app, store, state, today)
    ctx = tool_context(
        store, app.config, generation.conversation_id, generation.message_id, profile
    )
    routed = []
    for event in turn.supervise(messages, preamble):
        if event[0] == "agent":
            routed.append(event)
        else:
            yield event
    for index, (kind, data) in enumerate(routed):
        agent = agents()[data["agent_type"]]
        state.agent_type = agent.name
        yield kind, data
        if index:
            yield "token", {"content": "\n\n", "agent_type": agent.name}
        earlier = tools_note(state.tool_calls)  # what the agents before this one did
        shared = f"{preamble}\nEarlier in this turn, other agents ran:\n{earlier}"
        yield from turn.run_agent(agent, messages, shared if earlier else preamble, ctx)
