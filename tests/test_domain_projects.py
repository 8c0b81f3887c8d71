"""The projects agent: its tools on the real store, and through the chat with a scripted model.
The offline model's rules for it, and chats it answers end to end, are tested in
test_devmodel_projects.py."""

from __future__ import annotations

import json

import pytest

from canvalo_app.agents.domains.projects import agent
from canvalo_app.agents.tools import execute, run_confirmed
from tests.agent_helpers import (
    assert_cancel_waits_for_confirmation,
    project,
    refused,
    scripted_call,
)
from tests.conftest import USER_A, USER_B


# Tools ------------------------------------------------------------------------------------
def test_project_progress_is_exact(ctx, stores):
    henderson = project(stores[0], "Henderson")
    outcome = execute(agent, "project_progress", {"id": henderson["id"]}, ctx)
    row = outcome.result["project"]
    assert (row["progress"], row["budget"], row["actual_cost"]) == (60, 12000.0, 7400.0)
    assert (row["budget_used_percent"], row["remaining_budget"]) == (61.7, 4600.0)
    assert (row["end_date"], row["days_left"], row["at_risk"]) == ("2026-11-28", 5, False)
    assert outcome.summary == (
        "Henderson exterior repaint: 60% done, 61.7% of $12,000.00 budget used"
    )
    lopez = execute(agent, "project_progress", {"id": project(stores[0], "Lopez")["id"]}, ctx)
    assert lopez.result["project"]["days_left"] is None


@pytest.mark.parametrize(("cost", "at_risk"), [(8200, False), (8500, True)])
def test_at_risk_when_spending_runs_ten_points_ahead(ctx, stores, cost, at_risk):
    henderson = project(stores[0], "Henderson")  # 60% done
    stores[0].update_record("projects", henderson["id"], {"actual_cost": cost})
    row = execute(agent, "project_progress", {"id": henderson["id"]}, ctx).result["project"]
    assert row["at_risk"] is at_risk


def test_update_project_progress(ctx, stores):
    henderson = project(stores[0], "Henderson")
    args = {"id": henderson["id"], "progress": 80, "actual_cost": 9000}
    outcome = execute(agent, "update_project_progress", args, ctx)
    assert (
        outcome.summary
        == "Updated Henderson exterior repaint: 80% done, 75% of $12,000.00 budget used"
    )
    row = stores[0].get_record("projects", henderson["id"])
    assert (row["progress"], row["actual_cost"]) == (80, 9000.0)


def test_budget_overview_covers_active_projects(ctx, stores):
    result = execute(agent, "budget_overview", {}, ctx).result
    assert [p["name"] for p in result["projects"]] == [
        "Lopez kitchen cabinets",  # no end date sorts first
        "Henderson exterior repaint",
        "Smith Dental office interior",
    ]
    assert (result["total_budget"], result["total_cost"], result["remaining"]) == (
        24700.0,
        9500.0,
        15200.0,
    )
    assert result["at_risk"] == [] and result["summary"] == (
        "3 active projects: $9,500.00 spent of $24,700.00; 0 at risk"
    )
    stores[0].update_record("projects", project(stores[0], "Smith")["id"], {"actual_cost": 5000})
    assert execute(agent, "budget_overview", {}, ctx).result["at_risk"] == [
        "Smith Dental office interior"
    ]


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
