"""The settings agent (business profile and goals): its tools on the real store. The offline
model's rules for it, and chats it answers end to end, are tested in
test_devmodel_settings.py."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from canvalo_app.agents.domains.settings import agent
from canvalo_app.agents.tools import ToolContext, execute
from tests.agent_helpers import (
    TODAY,
    profile_of,
    refused,
    user_store,
)
from tests.conftest import USER_A, USER_B


def goal_of(store, word: str) -> dict:
    return next(g for g in store.list_records("goals") if word in g["title"])


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
