"""Helpers for the agents' tests: a chat call, a scripted tool call, event readers, and
the walk through a chat cancel and its confirmation. The
seeded-store fixtures (`stores`, `ctx`, `live`) are in conftest.py."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from canvalo_app.agents.tools import ToolOutcome
from tests.conftest import (  # noqa: F401 (re-exported)
    PACIFIC,
    TODAY,
    USER_A,
    pacific_business,
    user_store,
)
from tests.helpers import answer_of, assert_error, send, stream_events
from tests.scripted_model import call, install, route, say


def chat(client, users, message: str) -> tuple[list[dict], str]:
    """One chat turn through the API: its events and the answer's text."""
    evts = stream_events(send(client, users.a, message))
    return evts, answer_of(evts)


def scripted_call(app, client, users, domain: str, tool: str, **args) -> tuple[dict, dict]:
    """A chat turn in which a scripted model has `domain` call `tool` with `args`: the
    tool_result event and the result the model was given back."""
    model = install(app, route(domain), call(tool, **args), say("Done."))
    [event] = [
        e for e in stream_events(send(client, users.a, "do it")) if e["type"] == "tool_result"
    ]
    given = model.requests[-1].messages[-1]["content"][0]["toolResult"]["content"][0]["json"]
    return event, given["result"]


def tool_calls(evts: list[dict]) -> list[str]:
    return [e["tool_name"] for e in evts if e["type"] == "tool_call"]


def confirmation(evts: list[dict]) -> dict:
    """The turn's one confirmation_required event."""
    [pending] = [e for e in evts if e["type"] == "confirmation_required"]
    return pending


def agent_types(evts: list[dict]) -> list[str]:
    return [e["agent_type"] for e in evts if e["type"] == "agent"]


def refused(outcome: ToolOutcome) -> bool:
    return outcome.status == "error"


def assert_cancel_waits_for_confirmation(
    client,
    users,
    message: str,
    agent: str,
    tools: list[str],
    summary: str,
    row: Callable[[], dict],
) -> None:
    """Asked in chat with `message`, `agent` calls `tools` (the last one the cancel tool) and
    asks to confirm `summary`; `row()` (the record as stored) stays as it was until its owner
    confirms, another user's confirmation is refused, and the owner's cancels it."""
    before = row()
    evts, reply = chat(client, users, message)
    assert agent_types(evts) == [agent]
    assert tool_calls(evts) == tools
    pending = confirmation(evts)
    assert pending["tool_name"] == tools[-1]
    assert pending["summary"] == summary
    assert "Nothing changes until you confirm it in the app." in reply
    assert row() == before
    url = f"/api/actions/{pending['action_id']}/confirm"
    assert_error(client.post(url, headers=users.b), 404, "ACTION_NOT_FOUND")
    assert row() == before
    confirmed = client.post(url, headers=users.a)
    assert confirmed.status_code == 200 and confirmed.json["status"] == "confirmed"
    assert row()["status"] == "cancelled"


# Record lookups and fixtures the agents' own tests and the development model's share -----
NEW_YORK = ZoneInfo("America/New_York")


def appointment(store, word: str) -> dict:
    return next(a for a in store.list_records("appointments") if word in a["title"])


def utc(on: date, at: time, zone: ZoneInfo) -> str:
    """How the store keeps the time `at` of day `on` in `zone`: UTC ISO 8601."""
    return datetime.combine(on, at, zone).astimezone(UTC).isoformat()


def campaign_of(store, word: str) -> dict:
    return next(c for c in store.list_records("campaigns") if word in c["name"])


def contact(store, first_name: str) -> dict:
    return next(c for c in store.list_records("contacts") if c["first_name"] == first_name)


def invoice(store, number: str) -> dict:
    return next(i for i in store.list_records("invoices") if i["invoice_number"] == number)


def project(store, word: str) -> dict:
    return next(p for p in store.list_records("projects") if word in p["name"])


def proposal(store, number: str) -> dict:
    return next(p for p in store.list_records("proposals") if p["proposal_number"] == number)


# Tools ------------------------------------------------------------------------------------
def review_of(store, name: str) -> dict:
    return next(r for r in store.list_records("reviews") if r["reviewer_name"] == name)


def profile_of(store) -> dict:
    return store.list_records("business_settings")[0]


def task_of(store, word: str) -> dict:
    return next(t for t in store.list_records("tasks") if word in t["title"])
