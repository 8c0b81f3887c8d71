"""The offline development model drives the settings agent: its rules read the user's words
into tool calls on the real store, and its templated answers read the results. These are
the development model's own tests; the settings agent's are in test_domain_settings.py."""

from __future__ import annotations

import pytest

from canvalo_app.agents.domains.settings import agent
from canvalo_app.agents.tools import ToolContext
from tests.agent_helpers import (
    TODAY,
    agent_types,
    chat,
    profile_of,
    tool_calls,
    user_store,
)
from tests.devmodel_helpers import drive, first_calls


# Offline rules ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "name", "args"),
    [
        ("how are my goals doing?", "goal_progress", {}),
        ("set my hourly rate to $70", "update_business_profile", {"hourly_rate": 70.0}),
        ("change my tax rate to 7.5%", "update_business_profile", {"default_tax_rate": 7.5}),
        ("set payment terms to net 15", "update_business_profile", {"payment_terms_days": 15}),
        ("update my phone to 555-0199", "update_business_profile", {"phone": "555-0199"}),
        (
            "set my working hours from 7am to 4pm",
            "update_business_profile",
            {"working_hours_start": "07:00", "working_hours_end": "16:00"},
        ),
        (
            'change my business name to "Brightline Painting"',
            "update_business_profile",
            {"business_name": "Brightline Painting"},
        ),
        ("what's my business profile?", "get_business_profile", {}),
    ],
)
def test_rules_first_call(text, name, args):
    assert [(c.name, c.input) for c in first_calls(agent, text)] == [(name, args)]


def test_rules_goal_progress(ctx):
    _, reply = drive(agent, "how are my goals doing?", ctx)
    assert reply == (
        "You have 3 active goals, 1 on track:\n"
        "- Quarterly revenue: $38,500.00 of $60,000.00 (64.2%), $21,500.00 to go, 45 days "
        "left; on track (50.0% of the period has passed).\n"
        "- New clients this quarter: 5 of 12 (41.7%), 7 to go, 45 days left; behind pace "
        "(50.0% of the period has passed).\n"
        "- Keep a 4.5+ rating: 4.25 of 4.5 (94.4%), 0.25 to go; not reached yet."
    )


def test_rules_set_hourly_rate(ctx, stores):
    _, reply = drive(agent, "set my hourly rate to $70", ctx)
    assert profile_of(stores[0])["hourly_rate"] == 70
    assert reply == "Done. Your business profile now has hourly rate $70.00."


def test_rules_profile(ctx):
    _, reply = drive(agent, "what's my business profile?", ctx)
    assert reply.startswith("Brightline Painting Co.: owner Sam Rivera;")
    assert "hourly rate $65.00; default tax rate 7%; payment terms 30 days" in reply
    _, reply = drive(agent, "what's my hourly rate?", ctx)
    assert reply == "Brightline Painting Co.: hourly rate $65.00."


def test_rules_ask_when_a_value_is_missing(ctx, stores):
    steps, reply = drive(agent, "set my hourly rate", ctx)
    assert steps == [] and reply.startswith("What should the hourly rate be?")
    assert profile_of(stores[0])["hourly_rate"] == 65


def test_rules_with_no_goals_or_profile(app, users):
    store = user_store(app, users)
    ctx = ToolContext(store, TODAY)
    assert drive(agent, "how are my goals doing?", ctx)[1].startswith("You don't have any active")
    assert drive(agent, "what's my business profile?", ctx)[1].startswith("You haven't set up")


# End to end -------------------------------------------------------------------------------
def test_chat_goal_progress(client, users, live):
    evts, reply = chat(client, users, "how are my goals doing?")
    assert agent_types(evts) == ["settings"] and tool_calls(evts) == ["goal_progress"]
    assert reply.startswith("You have 3 active goals, 1 on track:")
    assert "$38,500.00 of $60,000.00 (64.2%)" in reply


def test_chat_sets_the_hourly_rate(client, users, live):
    evts, reply = chat(client, users, "set my hourly rate to $70")
    assert agent_types(evts) == ["settings"] and tool_calls(evts) == ["update_business_profile"]
    assert profile_of(live)["hourly_rate"] == 70
    assert reply == "Done. Your business profile now has hourly rate $70.00."


def test_chat_business_profile(client, users, live):
    evts, reply = chat(client, users, "what's my business profile?")
    assert tool_calls(evts) == ["get_business_profile"]
    assert reply.startswith("Brightline Painting Co.: owner Sam Rivera;")
