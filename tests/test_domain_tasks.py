"""The tasks agent: its tools on the real store, and through the chat with a scripted model.
The offline model's rules for it, and chats it answers end to end, are tested in
test_devmodel_tasks.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from canvalo_app.agents.domains.tasks import agent
from canvalo_app.agents.tools import execute, run_confirmed
from tests.agent_helpers import (
    assert_cancel_waits_for_confirmation,
    refused,
    scripted_call,
    task_of,
)
from tests.conftest import USER_A, USER_B


def just_now(stamp: str) -> bool:
    return datetime.now(UTC) - datetime.fromisoformat(stamp) < timedelta(minutes=1)


# Tools ------------------------------------------------------------------------------------
def test_task_stats_are_exact(ctx, stores):
    result = execute(agent, "task_stats", {}, ctx).result
    assert result["by_status"] == {"todo": 4, "in_progress": 1, "done": 1, "cancelled": 0}
    assert result["by_priority"] == {"low": 2, "medium": 2, "high": 1, "urgent": 1}
    assert (result["total"], result["completion_rate"], result["overdue"]) == (6, 16.7, 2)
    stores[0].update_record("tasks", task_of(stores[0], "website")["id"], {"status": "cancelled"})
    result = execute(agent, "task_stats", {}, ctx).result
    assert result["completion_rate"] == 20.0  # 1 done of 5 that are not cancelled
    assert result["summary"] == "20.0% of tasks done (1 of 5); 2 overdue"


@pytest.mark.parametrize(
    ("args", "titles"),
    [
        ({"overdue_only": True}, ["Send Henderson color samples", "Order paint for Smith Dental"]),
        ({"priority": "urgent"}, ["Renew liability insurance"]),
        ({"status": "in_progress"}, ["Update website photos"]),
        (
            {"due_before": "2026-11-22"},
            ["Clean sprayer", "Send Henderson color samples", "Order paint for Smith Dental"],
        ),
        (
            {"due_before": "2026-11-22", "open_only": True},
            ["Send Henderson color samples", "Order paint for Smith Dental"],
        ),
        ({"search": "SPRAYER"}, ["Clean sprayer"]),
    ],
)
def test_list_filters_in_due_order(ctx, args, titles):
    assert [t["title"] for t in execute(agent, "list_tasks", args, ctx).result["tasks"]] == titles


def test_complete_task(ctx, stores):
    order = task_of(stores[0], "Order paint")
    outcome = execute(agent, "complete_task", {"id": order["id"]}, ctx)
    assert outcome.summary == "Completed the task “Order paint for Smith Dental”"
    row = stores[0].get_record("tasks", order["id"])
    assert row["status"] == "done" and just_now(row["completed_at"])
    sprayer = task_of(stores[0], "sprayer")
    again = execute(agent, "complete_task", {"id": sprayer["id"]}, ctx).result
    assert again["already_done"] is True
    assert stores[0].get_record("tasks", sprayer["id"]) == sprayer


def test_status_changes_keep_completed_at_in_step(ctx, stores):
    follow = task_of(stores[0], "Priya")
    execute(agent, "update_task", {"id": follow["id"], "status": "done"}, ctx)
    assert just_now(stores[0].get_record("tasks", follow["id"])["completed_at"])
    execute(agent, "update_task", {"id": follow["id"], "status": "todo"}, ctx)
    assert stores[0].get_record("tasks", follow["id"])["completed_at"] is None
    created = execute(agent, "create_task", {"title": "Done already", "status": "done"}, ctx)
    assert just_now(created.result["task"]["completed_at"])


def test_cancelled_task_is_not_completed(ctx, stores):
    insurance = task_of(stores[0], "insurance")
    stores[0].update_record("tasks", insurance["id"], {"status": "cancelled"})
    outcome = execute(agent, "complete_task", {"id": insurance["id"]}, ctx)
    assert refused(outcome) and "cancelled" in outcome.result["error"]
    assert stores[0].get_record("tasks", insurance["id"])["status"] == "cancelled"


def test_delete_waits_for_confirmation(ctx, stores):
    sprayer = task_of(stores[0], "sprayer")
    outcome = execute(agent, "delete_task", {"id": sprayer["id"]}, ctx)
    assert outcome.status == "pending_confirmation"
    assert outcome.action["summary"] == "Delete the task “Clean sprayer”"
    assert stores[0].get_record("tasks", sprayer["id"]) == sprayer


def test_cancel_waits_for_confirmation_then_cancels(ctx, stores):
    primer = stores[0].create_record("tasks", {"title": "Buy primer"})
    outcome = execute(agent, "cancel_task", {"id": primer["id"]}, ctx)
    assert outcome.status == "pending_confirmation"
    assert outcome.action["summary"] == "Cancel the task “Buy primer”"
    assert stores[0].get_record("tasks", primer["id"]) == primer
    result = run_confirmed(agent, stores[0].get_action(outcome.action["id"]), ctx)
    assert result["summary"] == "Cancelled the task “Buy primer”"
    row = stores[0].get_record("tasks", primer["id"])
    assert (row["status"], row["completed_at"]) == ("cancelled", None)
    again = execute(agent, "cancel_task", {"id": primer["id"]}, ctx)
    assert refused(again) and again.result["error"] == "“Buy primer” is already cancelled."


def test_a_done_task_is_not_cancelled(ctx, stores):
    sprayer = task_of(stores[0], "sprayer")
    outcome = execute(agent, "cancel_task", {"id": sprayer["id"]}, ctx)
    assert refused(outcome) and outcome.result["error"] == "“Clean sprayer” is already done."
    assert stores[0].get_record("tasks", sprayer["id"]) == sprayer


@pytest.mark.parametrize(
    ("tool", "args"),
    [
        ("create_task", {"title": ""}),
        ("create_task", {"title": "x" * 201}),
        ("create_task", {"title": "X", "priority": "critical"}),
        ("create_task", {"title": "X", "status": "blocked"}),
        ("create_task", {"title": "X", "status": "cancelled"}),
        ("create_task", {"title": "X", "due_date": "next friday"}),
        ("create_task", {"title": "X", "user_id": USER_B}),
        ("create_task", {"priority": "high"}),
        ("update_task", {"title": "no id"}),
        ("list_tasks", {"limit": 0}),
        ("list_tasks", {"overdue_only": "maybe"}),
        ("complete_task", {"id": "17"}),
        ("task_stats", {"user_id": USER_A}),
        ("cancel_task", {"id": "17"}),
    ],
)
def test_bad_input_is_refused(ctx, stores, tool, args):
    outcome = execute(agent, tool, args, ctx)
    assert refused(outcome) and outcome.result["error"] == "Invalid input"
    assert stores[0].count_records("tasks") == 6


def test_another_users_tasks_are_out_of_reach(ctx, stores):
    theirs = task_of(stores[1], "Order paint")
    listed = execute(agent, "list_tasks", {"limit": 100}, ctx).result["tasks"]
    assert {t["user_id"] for t in listed} == {USER_A}
    assert execute(agent, "task_stats", {}, ctx).result["total"] == 6
    for tool, extra in [
        ("get_task", {}),
        ("complete_task", {}),
        ("delete_task", {}),
        ("cancel_task", {}),
        ("update_task", {"title": "hijacked"}),
    ]:
        assert refused(execute(agent, tool, {"id": theirs["id"], **extra}, ctx)), tool
    assert stores[1].get_record("tasks", theirs["id"]) == theirs


def test_a_model_cannot_cancel_by_updating_the_status(app, client, users, live):
    before = task_of(live, "insurance")
    event, result = scripted_call(
        app, client, users, "tasks", "update_task", id=before["id"], status="cancelled"
    )
    assert event["status"] == "error" and result["error"] == "Invalid input"
    assert result["fields"] == {
        "status": [
            "cancelled is set only by cancel_task: call that instead. Here it can be one of: "
            "todo, in_progress, done."
        ]
    }
    assert task_of(live, "insurance") == before


def test_chat_cancel_waits_for_the_owners_confirmation(client, users, live):
    primer = live.create_record("tasks", {"title": "Buy primer"})
    assert_cancel_waits_for_confirmation(
        client,
        users,
        "cancel the task to buy primer",
        "tasks",
        ["list_tasks", "cancel_task"],
        "Cancel the task “Buy primer”",
        lambda: live.get_record("tasks", primer["id"]),
    )
