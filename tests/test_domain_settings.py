"""The settings agent (business profile and goals): tools on the real store, offline rules,
and the chat end to end."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from canvalo_app.agents.domains.settings import agent
from canvalo_app.agents.tools import ToolContext, execute
from tests.agent_helpers import (
    TODAY,
    agent_types,
    chat,
    drive,
    first_calls,
    refused,
    tool_calls,
    user_store,
)
from tests.conftest import USER_A, USER_B


def goal_of(store, word: str) -> dict:
    return next(g for g in store.list_records("goals") if word in g["title"])


def profile_of(store) -> dict:
    return store.list_records("business_settings")[0]


# Tools ------------------------------------------------------------------------------------
def test_goal_progress_is_exact(ctx):
    result = execute(agent, "goal_progress", {}, ctx).result
    revenue, clients, rating = result["goals"]
    assert {
        k: revenue[k]
        for k in ("percent", "remaining", "days_left", "period_elapsed_percent", "on_track")
    } == {
        "percent": 64.2,
        "remaining": 21500.0,
        "days_left": 45,
        "period_elapsed_percent": 50.0,
        "on_track": True,
    }
    assert (clients["percent"], clients["remaining"], clients["on_track"]) == (41.7, 7.0, False)
    assert (rating["percent"], rating["days_left"], rating["on_track"]) == (94.4, None, False)
    assert result["summary"] == "1 of 3 goals on track"


def test_goal_progress_counts_only_active_goals_and_clamps_the_period(ctx, stores):
    clients = goal_of(stores[0], "clients")
    stores[0].update_record("goals", clients["id"], {"status": "paused"})
    later = ToolContext(stores[0], TODAY + timedelta(days=60))
    result = execute(agent, "goal_progress", {}, later).result
    assert [g["title"] for g in result["goals"]] == ["Quarterly revenue", "Keep a 4.5+ rating"]
    revenue = result["goals"][0]
    assert (revenue["days_left"], revenue["period_elapsed_percent"]) == (0, 100.0)
    one = execute(agent, "goal_progress", {"id": clients["id"]}, ctx).result
    assert one["count"] == 1 and one["goals"][0]["title"] == "New clients this quarter"


def test_goals_crud(ctx, stores):
    args = {
        "title": "Jobs in December",
        "metric": "jobs_completed",
        "target_value": 10,
        "period_start": "2026-12-01",
        "period_end": "2026-12-31",
    }
    goal = execute(agent, "create_goal", args, ctx).result["goal"]
    assert (goal["status"], goal["current_value"], goal["unit"]) == ("active", 0, None)
    execute(agent, "update_goal", {"id": goal["id"], "current_value": 4}, ctx)
    assert stores[0].get_record("goals", goal["id"])["current_value"] == 4
    listed = execute(agent, "list_goals", {"metric": "jobs_completed"}, ctx).result
    assert [g["title"] for g in listed["goals"]] == ["Jobs in December"]


def test_get_and_update_business_profile(ctx, stores):
    profile = execute(agent, "get_business_profile", {}, ctx).result["profile"]
    assert profile["business_name"] == "Brightline Painting Co." and profile["hourly_rate"] == 65
    result = execute(
        agent, "update_business_profile", {"hourly_rate": 70, "working_hours_start": "07:30"}, ctx
    ).result
    assert result["changed"] == ["hourly_rate", "working_hours_start"]
    row = profile_of(stores[0])
    assert (row["hourly_rate"], row["working_hours_start"], row["owner_name"]) == (
        70,
        "07:30",
        "Sam Rivera",
    )
    assert stores[0].count_records("business_settings") == 1


def test_update_creates_the_profile_when_missing(app, users):
    store = user_store(app, users)
    ctx = ToolContext(store, TODAY)
    assert execute(agent, "get_business_profile", {}, ctx).result["profile"] is None
    execute(agent, "update_business_profile", {"business_name": "New Co"}, ctx)
    execute(agent, "update_business_profile", {"hourly_rate": 55}, ctx)
    rows = store.list_records("business_settings")
    assert len(rows) == 1 and (rows[0]["business_name"], rows[0]["hourly_rate"]) == ("New Co", 55)
    assert refused(execute(agent, "update_business_profile", {}, ctx))


def test_delete_goal_waits_for_confirmation(ctx, stores):
    revenue = goal_of(stores[0], "revenue")
    outcome = execute(agent, "delete_goal", {"id": revenue["id"]}, ctx)
    assert outcome.status == "pending_confirmation"
    assert outcome.action["summary"] == "Delete the goal “Quarterly revenue”"
    assert stores[0].get_record("goals", revenue["id"]) == revenue


@pytest.mark.parametrize(
    ("tool", "args"),
    [
        ("create_goal", {"title": "X"}),
        ("create_goal", {"title": "X", "target_value": 0}),
        ("create_goal", {"title": "X", "target_value": 5, "metric": "profit"}),
        ("create_goal", {"title": "X", "target_value": 5, "status": "done"}),
        (
            "create_goal",
            {
                "title": "X",
                "target_value": 5,
                "period_start": "2026-12-31",
                "period_end": "2026-12-01",
            },
        ),
        ("create_goal", {"title": "X", "target_value": 5, "user_id": USER_B}),
        ("update_business_profile", {"hourly_rate": -1}),
        ("update_business_profile", {"default_tax_rate": 101}),
        ("update_business_profile", {"payment_terms_days": "thirty"}),
        ("update_business_profile", {"working_hours_start": "7am"}),
        ("update_business_profile", {"working_hours_start": "17:00", "working_hours_end": "08:00"}),
        ("update_business_profile", {"timezone": "Mars/Base"}),
        ("update_business_profile", {"email": "not-an-email"}),
        ("update_business_profile", {"business_name": "x" * 201}),
        ("update_business_profile", {"user_id": USER_B, "hourly_rate": 1}),
        ("get_business_profile", {"user_id": USER_B}),
        ("goal_progress", {"id": "abc"}),
    ],
)
def test_bad_input_is_refused(ctx, stores, tool, args):
    before = profile_of(stores[0])
    outcome = execute(agent, tool, args, ctx)
    assert refused(outcome) and outcome.result["error"] == "Invalid input"
    assert profile_of(stores[0]) == before and stores[0].count_records("goals") == 3


def test_another_users_settings_are_out_of_reach(ctx, stores):
    theirs = goal_of(stores[1], "revenue")
    assert execute(agent, "get_business_profile", {}, ctx).result["profile"]["user_id"] == USER_A
    execute(agent, "update_business_profile", {"hourly_rate": 99}, ctx)
    assert profile_of(stores[1])["hourly_rate"] == 65
    listed = execute(agent, "list_goals", {}, ctx).result["goals"]
    assert {g["user_id"] for g in listed} == {USER_A}
    for tool, extra in [
        ("get_goal", {}),
        ("goal_progress", {}),
        ("delete_goal", {}),
        ("update_goal", {"current_value": 0}),
    ]:
        assert refused(execute(agent, tool, {"id": theirs["id"], **extra}, ctx)), tool
    assert stores[1].get_record("goals", theirs["id"]) == theirs


@pytest.mark.parametrize(
    ("target", "current"), [(1e-300, 1e308), (0.0, 5.0), (1e-300, float("inf"))]
)
def test_goal_progress_of_a_goal_out_of_all_proportion_is_finite_json(ctx, stores, target, current):
    # Rows written before tools bounded their input, or by hand; the tools no longer take them.
    goal = stores[0].create_record(
        "goals", {"title": "Odd", "target_value": target, "current_value": current}
    )
    outcome = execute(agent, "goal_progress", {"id": goal["id"]}, ctx)
    [row] = json.loads(json.dumps(outcome.result, allow_nan=False))["goals"]
    assert outcome.status == "ok"
    assert row["percent"] is None and "target" in row["percent_note"]
    assert row["on_track"] is True


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
