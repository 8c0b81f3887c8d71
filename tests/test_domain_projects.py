"""The projects agent: its tools on the real store, and through the chat with a scripted model.
The offline model's rules for it, and chats it answers end to end, are tested in
test_devmodel_projects.py."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from canvalo_app.agents.domains.projects import agent
from canvalo_app.agents.tools import ToolContext, execute, run_confirmed
from tests.agent_helpers import (
    TODAY,
    assert_cancel_waits_for_confirmation,
    project,
    refused,
    scripted_call,
    task_of,
)
from tests.conftest import BOTH_STORES, USER_A, USER_B
from tests.helpers import send, stream_events
from tests.scripted_model import call, install, route, say


def own_figures(store, word: str) -> tuple[float, float]:
    """A project's progress and what it has cost, worked out here from its rows: the share
    of its tasks done (cancelled ones left out), its cost plus its materials."""
    row = project(store, word)
    tasks = [t for t in store.list_records("tasks", limit=100) if t["project_id"] == row["id"]]
    counted = [t for t in tasks if t["status"] != "cancelled"]
    done = sum(t["status"] == "done" for t in counted)
    progress = round(100 * done / len(counted), 1) if counted else row["progress"]
    materials = sum(item["quantity"] * item["cost"] for item in row["materials"])
    return progress, round(row["actual_cost"] + materials, 2)


def figures_of(evts: list[dict]) -> dict[str, dict]:
    return {e["title"]: e for e in evts if e["type"] == "stat_data"}


# Tools ------------------------------------------------------------------------------------
def test_project_progress_is_exact(ctx, stores):
    henderson = project(stores[0], "Henderson")
    outcome = execute(agent, "project_progress", {"id": henderson["id"]}, ctx)
    row = outcome.result["project"]
    assert (row["progress"], row["progress_source"]) == (60.0, "tasks")  # 3 of its 5 tasks
    assert row["tasks"] == {"todo": 1, "in_progress": 1, "done": 3, "cancelled": 0}
    assert (row["budget"], row["actual_cost"], row["materials_cost"]) == (12000.0, 7400.0, 860.0)
    assert (row["total_cost"], row["budget_used_percent"], row["remaining_budget"]) == (
        8260.0,
        68.8,
        3740.0,
    )
    assert (row["end_date"], row["days_left"], row["at_risk"]) == ("2026-11-28", 5, False)
    assert outcome.summary == (
        "Henderson exterior repaint: 60% done (3 of 5 tasks done), 68.8% of $12,000.00 budget used"
    )
    assert [
        (s["kind"], [v["value"] for v in s["values"]]) for s in outcome.result["stat_data"]
    ] == [
        ("number", [60.0]),
        ("breakdown", [1, 1, 3, 0]),
    ]
    lopez = execute(agent, "project_progress", {"id": project(stores[0], "Lopez")["id"]}, ctx)
    assert lopez.result["project"]["days_left"] is None
    assert lopez.result["project"]["progress_source"] == "entered"
    assert len(lopez.result["stat_data"]) == 1  # no tasks to break down


def test_progress_counts_tasks_not_cancelled_and_says_when_it_differs(ctx, stores):
    henderson = project(stores[0], "Henderson")
    stores[0].update_record("tasks", task_of(stores[0], "samples")["id"], {"status": "cancelled"})
    outcome = execute(agent, "project_progress", {"id": henderson["id"]}, ctx)
    assert outcome.result["project"]["progress"] == own_figures(stores[0], "Henderson")[0] == 75.0
    assert outcome.summary.startswith(
        "Henderson exterior repaint: 75% done (3 of 4 tasks done; entered as 60%)"
    )
    for task in stores[0].list_records("tasks", limit=100):
        if task["project_id"] == henderson["id"]:
            stores[0].update_record("tasks", task["id"], {"status": "cancelled"})
    row = execute(agent, "project_progress", {"id": henderson["id"]}, ctx).result["project"]
    assert (row["progress"], row["progress_source"]) == (60, "entered")


@pytest.mark.parametrize(("cost", "at_risk"), [(7540, False), (7600, True)])
def test_at_risk_when_spending_runs_ten_points_ahead(ctx, stores, cost, at_risk):
    henderson = project(stores[0], "Henderson")  # 60% done, $860 of materials
    stores[0].update_record("projects", henderson["id"], {"actual_cost": cost})
    row = execute(agent, "project_progress", {"id": henderson["id"]}, ctx).result["project"]
    assert row["at_risk"] is at_risk


def test_update_project_progress(ctx, stores):
    henderson = project(stores[0], "Henderson")
    args = {"id": henderson["id"], "progress": 80, "actual_cost": 9000}
    outcome = execute(agent, "update_project_progress", args, ctx)
    assert outcome.summary == (
        "Updated Henderson exterior repaint: 60% done (3 of 5 tasks done; entered as 80%), "
        "82.2% of $12,000.00 budget used; at risk"
    )
    row = stores[0].get_record("projects", henderson["id"])
    assert (row["progress"], row["actual_cost"]) == (80, 9000.0)


def test_budget_overview_covers_active_projects(ctx, stores):
    result = execute(agent, "budget_overview", {}, ctx).result
    names = ["Lopez kitchen cabinets", "Henderson exterior repaint", "Smith Dental office interior"]
    assert [p["name"] for p in result["projects"]] == names  # no end date sorts first
    costs = [own_figures(stores[0], name.split()[0])[1] for name in names]
    assert (result["total_budget"], result["total_cost"], result["remaining"]) == (
        24700.0,
        round(sum(costs), 2),
        round(24700 - sum(costs), 2),
    )
    assert (result["total_materials"], result["total_cost"]) == (1164.0, 10664.0)
    assert [p["progress"] for p in result["projects"]] == [0, 60.0, 50.0]
    assert result["at_risk"] == [] and result["summary"] == (
        "3 active projects: $10,664.00 spent of $24,700.00; 0 at risk"
    )
    spent = [(v["label"], v["value"]) for v in result["stat_data"][1]["values"]]
    assert spent == list(zip(names, costs, strict=True))
    stores[0].update_record("projects", project(stores[0], "Smith")["id"], {"actual_cost": 5000})
    assert execute(agent, "budget_overview", {}, ctx).result["at_risk"] == [
        "Smith Dental office interior"  # $5,304.00 of $8,500.00 spent, 50% done
    ]


@BOTH_STORES
def test_progress_and_budgets_through_the_chat_match_the_rows(app, client, users, live):
    henderson = project(live, "Henderson")
    live.update_record("tasks", task_of(live, "Paint Henderson")["id"], {"status": "done"})
    install(app, route("projects"), call("project_progress", id=henderson["id"]), say("Done."))
    evts = stream_events(send(client, users.a, "how far along is it?"))
    progress, spent = own_figures(live, "Henderson")
    figures = figures_of(evts)
    assert figures["Henderson exterior repaint: progress"]["values"][0]["value"] == progress == 80
    by_status = figures["Henderson exterior repaint: tasks by status"]["values"]
    assert [v["value"] for v in by_status] == [1, 0, 4, 0]
    install(app, route("projects"), call("budget_overview"), say("Done."))
    figures = figures_of(stream_events(send(client, users.a, "budgets?")))
    budgets = {v["label"]: v["value"] for v in figures["Budget by project"]["values"]}
    spent_by = {v["label"]: v["value"] for v in figures["Spent by project"]["values"]}
    assert budgets["Henderson exterior repaint"] == 12000 and spent_by[henderson["name"]] == spent
    active = {p["name"] for p in live.list_records("projects") if p["status"] != "completed"}
    assert set(spent_by) == active


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"status": "in_progress"}, {"Henderson exterior repaint", "Smith Dental office interior"}),
        (
            {"active_only": True},
            {
                "Henderson exterior repaint",
                "Smith Dental office interior",
                "Lopez kitchen cabinets",
            },
        ),
        ({"search": "grace"}, {"Kim deck staining"}),
        ({"search": "birch road"}, {"Henderson exterior repaint"}),
    ],
)
def test_list_filters(ctx, args, expected):
    assert {
        p["name"] for p in execute(agent, "list_projects", args, ctx).result["projects"]
    } == expected


def test_create_and_update_keep_dates_in_order(ctx, stores):
    created = execute(
        agent,
        "create_project",
        {"name": "Fence", "client_name": "Grace Kim", "budget": 2000, "start_date": "2026-12-01"},
        ctx,
    )
    assert created.result["project"]["status"] == "planning"
    fence = created.result["project"]["id"]
    outcome = execute(agent, "update_project", {"id": fence, "end_date": "2026-11-30"}, ctx)
    assert (
        refused(outcome)
        and outcome.result["error"] == "The end date must not be before the start date."
    )
    assert stores[0].get_record("projects", fence)["end_date"] is None


def test_delete_waits_for_confirmation(ctx, stores):
    kim = project(stores[0], "Kim")
    outcome = execute(agent, "delete_project", {"id": kim["id"]}, ctx)
    assert outcome.status == "pending_confirmation"
    assert outcome.action["summary"] == "Delete project “Kim deck staining”"
    assert stores[0].get_record("projects", kim["id"]) == kim


def test_cancel_waits_for_confirmation_then_cancels(ctx, stores):
    smith = project(stores[0], "Smith")
    outcome = execute(agent, "cancel_project", {"id": smith["id"]}, ctx)
    assert outcome.status == "pending_confirmation"
    assert outcome.action["summary"] == "Cancel the project “Smith Dental office interior”"
    assert stores[0].get_record("projects", smith["id"]) == smith
    result = run_confirmed(agent, stores[0].get_action(outcome.action["id"]), ctx)
    assert result["summary"] == "Cancelled the project “Smith Dental office interior”"
    assert stores[0].get_record("projects", smith["id"])["status"] == "cancelled"
    again = execute(agent, "cancel_project", {"id": smith["id"]}, ctx)
    assert refused(again) and again.result["error"] == (
        "The project “Smith Dental office interior” is already cancelled."
    )


def test_a_completed_project_is_not_cancelled(ctx, stores):
    kim = project(stores[0], "Kim")
    outcome = execute(agent, "cancel_project", {"id": kim["id"]}, ctx)
    assert refused(outcome)
    assert outcome.result["error"] == "The project “Kim deck staining” is already completed."
    assert stores[0].get_record("projects", kim["id"]) == kim


@pytest.mark.parametrize(
    ("tool", "args"),
    [
        ("create_project", {"budget": 100}),
        ("create_project", {"name": ""}),
        ("create_project", {"name": "x" * 201}),
        ("create_project", {"name": "A", "status": "active"}),
        ("create_project", {"name": "A", "status": "cancelled"}),
        ("create_project", {"name": "A", "progress": 101}),
        ("create_project", {"name": "A", "budget": -1}),
        ("create_project", {"name": "A", "budget": "a lot"}),
        ("create_project", {"name": "A", "user_id": USER_B}),
        ("list_projects", {"status": "done"}),
        ("project_progress", {"id": "Henderson"}),
        ("update_project_progress", {"id": "6a1d4d7c-6a55-4c3a-9a3a-2b7d5d0a0c11"}),
        ("budget_overview", {"user_id": USER_A}),
        ("cancel_project", {"id": "Henderson"}),
    ],
)
def test_bad_input_is_refused(ctx, stores, tool, args):
    outcome = execute(agent, tool, args, ctx)
    assert refused(outcome) and outcome.result["error"] == "Invalid input"
    assert stores[0].count_records("projects") == 4


def test_another_users_projects_are_out_of_reach(ctx, stores):
    theirs = project(stores[1], "Henderson")
    listed = execute(agent, "list_projects", {"limit": 100}, ctx).result["projects"]
    assert {row["user_id"] for row in listed} == {USER_A}
    for tool, extra in [
        ("get_project", {}),
        ("project_progress", {}),
        ("update_project", {"name": "Hijacked"}),
        ("update_project_progress", {"progress": 1}),
        ("delete_project", {}),
        ("cancel_project", {}),
    ]:
        outcome = execute(agent, tool, {"id": theirs["id"], **extra}, ctx)
        assert refused(outcome) and "was found" in outcome.result["error"], tool
    assert stores[1].get_record("projects", theirs["id"]) == theirs
    assert execute(agent, "budget_overview", {}, ctx).result["total_budget"] == 24700.0


def test_progress_of_a_project_out_of_all_proportion_is_finite_json(ctx, stores):
    # A row written before tools bounded their input, or by hand; the tools no longer take it.
    project = stores[0].create_record(
        "projects", {"name": "Odd", "budget": 1e-300, "actual_cost": 1e308}
    )
    outcome = execute(agent, "project_progress", {"id": project["id"]}, ctx)
    row = json.loads(json.dumps(outcome.result, allow_nan=False))["project"]
    assert outcome.status == "ok"
    assert row["budget_used_percent"] is None and row["at_risk"] is False
    assert outcome.result["summary"] == "Odd: 0% done, no budget"


def test_a_model_cannot_cancel_by_updating_the_status(app, client, users, live):
    before = project(live, "Smith")
    event, result = scripted_call(
        app, client, users, "projects", "update_project", id=before["id"], status="cancelled"
    )
    assert event["status"] == "error" and result["error"] == "Invalid input"
    assert result["fields"] == {
        "status": [
            "cancelled is set only by cancel_project: call that instead. Here it can be one "
            "of: planning, in_progress, on_hold, completed."
        ]
    }
    assert project(live, "Smith") == before


def test_chat_cancel_waits_for_the_owners_confirmation(client, users, live):
    assert_cancel_waits_for_confirmation(
        client,
        users,
        "cancel the Smith project",
        "projects",
        ["list_projects", "cancel_project"],
        "Cancel the project “Smith Dental office interior”",
        lambda: project(live, "Smith"),
    )


@BOTH_STORES
def test_completion_is_dated_the_day_the_status_becomes_completed(ctx, stores):
    store, henderson = stores[0], project(stores[0], "Henderson")
    store.update_record(
        "projects", henderson["id"], {"start_date": "2026-10-01", "end_date": "2026-10-20"}
    )
    done = execute(agent, "update_project", {"id": henderson["id"], "status": "completed"}, ctx)
    assert done.result["project"]["completed_on"] == "2026-11-23", "today, not the planned end"
    later = ToolContext(store, TODAY + timedelta(days=3))
    execute(agent, "update_project", {"id": henderson["id"], "description": "Two coats"}, later)
    again = {"id": henderson["id"], "status": "completed", "budget": 12500}
    execute(agent, "update_project", again, later)
    assert project(store, "Henderson")["completed_on"] == "2026-11-23", "edits keep the day"
    reopened = {"id": henderson["id"], "status": "in_progress"}
    execute(agent, "update_project", reopened, ctx)
    assert project(store, "Henderson")["completed_on"] is None
    created = execute(agent, "create_project", {"name": "Shed", "status": "completed"}, ctx)
    assert created.result["project"]["completed_on"] == "2026-11-23"
    planned = execute(agent, "create_project", {"name": "Porch"}, ctx).result["project"]
    assert (planned["status"], planned["completed_on"]) == ("planning", None)


@BOTH_STORES
def test_a_project_finished_on_another_day_is_dated_that_day(ctx, stores):
    lopez = project(stores[0], "Lopez")
    finished = {"id": lopez["id"], "status": "completed", "completed_on": "2026-11-20"}
    execute(agent, "update_project", finished, ctx)
    assert project(stores[0], "Lopez")["completed_on"] == "2026-11-20"
    kim = project(stores[0], "Kim deck")
    execute(agent, "update_project", {"id": kim["id"], "completed_on": "2026-10-03"}, ctx)
    assert project(stores[0], "Kim deck")["completed_on"] == "2026-10-03"


@pytest.mark.parametrize(
    ("word", "args", "error"),
    [
        (
            "Smith",
            {"completed_on": "2026-11-20"},
            "Only a completed project has a completion date; mark it completed too.",
        ),
        (
            "Smith",
            {"status": "completed", "completed_on": "2026-11-24"},
            "The completion date must not be in the future.",
        ),
        (
            "Kim deck",
            {"status": "on_hold", "completed_on": "2026-10-02"},
            "Only a completed project has a completion date; mark it completed too.",
        ),
    ],
)
def test_a_completion_date_is_refused_where_it_cannot_be(ctx, stores, word, args, error):
    before = project(stores[0], word)
    outcome = execute(agent, "update_project", {"id": before["id"], **args}, ctx)
    assert refused(outcome) and outcome.result["error"] == error
    assert project(stores[0], word) == before
