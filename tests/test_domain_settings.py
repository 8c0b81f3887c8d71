"""The settings agent (business profile and goals): its tools on the real store. The offline
model's rules for it, and chats it answers end to end, are tested in
test_devmodel_settings.py."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from canvalo_app.agents.domains.invoices import agent as invoices
from canvalo_app.agents.domains.settings import agent
from canvalo_app.agents.tools import ToolContext, execute
from tests.agent_helpers import (
    NEW_YORK,
    TODAY,
    profile_of,
    refused,
    user_store,
)
from tests.conftest import USER_A, USER_B


def goal_of(store, word: str) -> dict:
    return next(g for g in store.list_records("goals") if word in g["title"])


# Tools ------------------------------------------------------------------------------------
def cents(values) -> float:
    return round(sum(values), 2)


def local_day(instant: str) -> str:
    """The business's (New York's) day of a stored instant."""
    return datetime.fromisoformat(instant).astimezone(NEW_YORK).date().isoformat()


def test_goal_progress_counts_from_the_records(ctx, stores):
    store, (start, end) = stores[0], ("2026-10-09", "2027-01-07")  # the demo goals' period
    result = execute(agent, "goal_progress", {}, ctx).result
    revenue, clients, rating, custom = result["goals"]
    collected = cents(
        p["amount"] for p in store.list_records("payments") if start <= p["paid_on"] <= end
    )
    assert collected == 3675.0 and revenue["source"] == "records"
    assert {k: revenue[k] for k in ("current_value", "percent", "remaining", "days_left")} == {
        "current_value": collected,
        "percent": round(100 * collected / 15000, 1),
        "remaining": 15000 - collected,
        "days_left": 45,
    }
    assert revenue["on_track"] is False  # 24.5% done, half the period gone
    added = [
        c
        for c in store.list_records("contacts")
        if c["contact_type"] == "client" and start <= local_day(c["created_at"]) <= end
    ]
    assert clients["current_value"] == len(added)
    ratings = [r["rating"] for r in store.list_records("reviews")]
    assert (rating["current_value"], rating["on_track"]) == (
        round(sum(ratings) / len(ratings), 2),
        False,
    )
    assert (custom["current_value"], custom["source"], custom["percent"]) == (60, "typed", 60.0)
    stats = {stat["title"]: stat for stat in result["stat_data"]}
    assert [(v["label"], v["value"]) for v in stats["Quarterly revenue"]["values"]] == [
        ("Reached", collected),
        ("To go", 15000 - collected),
    ]
    assert stats["Quarterly revenue"]["period"] == {
        "label": f"{start} to {end}",
        "start": start,
        "end": end,
    }
    assert stats["Keep a 4.5+ rating"]["values"][0]["unit"] == "rating"

    henderson = next(i for i in store.list_records("invoices") if i["invoice_number"] == "INV-1002")
    execute(invoices, "mark_invoice_paid", {"invoice_id": henderson["id"]}, ctx)
    after = execute(agent, "goal_progress", {"id": revenue["id"]}, ctx).result["goals"][0]
    assert after["current_value"] == cents([collected, henderson["total_amount"]]) == 7099.0


def test_goal_progress_of_jobs_proposals_and_a_period_without_reviews(ctx, stores):
    store = stores[0]
    goals = [
        ("Jobs", "jobs_completed", "2026-10-01", "2026-10-31"),
        ("Wins", "proposals_won", "2026-01-01", "2027-12-31"),
        ("Rating", "average_rating", "2020-01-01", "2020-12-31"),
    ]
    keys = ("title", "metric", "period_start", "period_end")
    goals = [dict(zip(keys, goal, strict=True), current_value=4.8) for goal in goals]
    ids = [store.create_record("goals", {"target_value": 5, **goal})["id"] for goal in goals]
    results = [execute(agent, "goal_progress", {"id": i}, ctx).result for i in ids]
    jobs, wins, rated = (result["goals"][0] for result in results)
    completed = [
        p
        for p in store.list_records("projects")
        if p["status"] == "completed" and (p["completed_on"] or "")[:7] == "2026-10"
    ]
    assert jobs["current_value"] == len(completed) == 1
    won = [
        p
        for p in store.list_records("proposals")
        if p["status"] == "accepted" and "2026-01-01" <= local_day(p["accepted_at"]) <= "2027-12-31"
    ]
    assert wins["current_value"] == len(won)
    # No reviews in 2020: no current value, rather than the 4.8 once typed for it.
    assert {key: rated[key] for key in ("current_value", "source", "note")} == {
        "current_value": None,
        "source": "records",
        "note": "No reviews in the period yet.",
    }
    assert (rated["percent"], rated["remaining"], rated["on_track"]) == (None, None, None)
    assert results[2]["stat_data"] == [] and results[2]["summary"] == "0 of 1 goals on track"


def test_goal_progress_counts_only_active_goals_and_clamps_the_period(ctx, stores):
    clients = goal_of(stores[0], "clients")
    stores[0].update_record("goals", clients["id"], {"status": "paused"})
    later = ToolContext(stores[0], TODAY + timedelta(days=60))
    result = execute(agent, "goal_progress", {}, later).result
    assert [g["title"] for g in result["goals"]] == [
        "Quarterly revenue",
        "Keep a 4.5+ rating",
        "Finish the Henderson repaint",
    ]
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
    assert profile_of(stores[0]) == before and stores[0].count_records("goals") == 4


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
