"""The tasks agent: its tools on the real store, and through the chat with a scripted model.
The offline model's rules for it, and chats it answers end to end, are tested in
test_devmodel_tasks.py."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest

from canvalo_app.agents.context import today_for
from canvalo_app.agents.domains.tasks import agent
from canvalo_app.agents.tools import execute, run_confirmed
from tests.agent_helpers import (
    assert_cancel_waits_for_confirmation,
    project,
    refused,
    scripted_call,
    task_of,
)
from tests.conftest import BOTH_STORES, USER_A, USER_B
from tests.helpers import send, stream_events
from tests.scripted_model import call, install, route, say


def just_now(stamp: str) -> bool:
    return datetime.now(UTC) - datetime.fromisoformat(stamp) < timedelta(minutes=1)


def expected_stats(rows: list[dict], today: date) -> dict:
    """Task statistics worked out here from the rows, to check the tool's against."""
    by_status = Counter(row["status"] for row in rows)
    open_rows = [row for row in rows if row["status"] in ("todo", "in_progress")]
    overdue = [row for row in open_rows if row["due_date"] and row["due_date"] < str(today)]
    people = Counter(row["assignee"] or "Unassigned" for row in open_rows)
    done, counted = by_status["done"], len(rows) - by_status["cancelled"]
    return {
        "by_status": {s: by_status[s] for s in ("todo", "in_progress", "done", "cancelled")},
        "completion_rate": round(100 * done / counted, 1),
        "overdue": len(overdue),
        "by_assignee": dict(people),
    }


# Tools ------------------------------------------------------------------------------------
def test_task_stats_are_exact(ctx, stores):
    result = execute(agent, "task_stats", {}, ctx).result
    assert result["by_status"] == {"todo": 4, "in_progress": 2, "done": 5, "cancelled": 0}
    assert result["by_priority"] == {"low": 2, "medium": 5, "high": 3, "urgent": 1}
    assert (result["total"], result["completion_rate"], result["overdue"]) == (11, 45.5, 2)
    assert result["by_assignee"] == {"Jake": 1, "Luis": 1, "Maya": 1, "Unassigned": 3}
    stores[0].update_record("tasks", task_of(stores[0], "website")["id"], {"status": "cancelled"})
    result = execute(agent, "task_stats", {}, ctx).result
    assert result["completion_rate"] == 50.0  # 5 done of 10 that are not cancelled
    assert result["summary"] == "50.0% of tasks done (5 of 10); 2 overdue"
    assert result["by_assignee"]["Unassigned"] == 2


@BOTH_STORES
def test_task_stats_and_their_figures_match_the_rows(app, client, users, live):
    live.update_record("tasks", task_of(live, "Priya")["id"], {"assignee": "Luis"})
    install(app, route("tasks"), call("task_stats"), say("Done."))
    evts = stream_events(send(client, users.a, "task stats"))
    want = expected_stats(
        live.list_records("tasks", limit=100), today_for({"timezone": "America/New_York"})
    )
    figures = {e["title"]: e for e in evts if e["type"] == "stat_data"}
    assert set(figures) == {"Tasks by status", "Open tasks by assignee", "Overdue tasks"}
    by_status = {v["label"]: v["value"] for v in figures["Tasks by status"]["values"]}
    assert list(by_status.values()) == list(want["by_status"].values())
    people = figures["Open tasks by assignee"]["values"]
    assert {v["label"]: v["value"] for v in people} == want["by_assignee"]
    assert people[0] == {"label": "Luis", "value": 2, "unit": "count"}  # most open first
    assert figures["Overdue tasks"]["kind"] == "number"
    assert figures["Overdue tasks"]["values"][0]["value"] == want["overdue"]


HENDERSON = [
    "Pressure-wash Henderson siding",
    "Scrape and sand Henderson trim",
    "Send Henderson color samples",
    "Prime Henderson trim",
    "Paint Henderson body",
]


@pytest.mark.parametrize(
    ("args", "titles"),
    [
        ({"overdue_only": True}, ["Send Henderson color samples", "Order paint for Smith Dental"]),
        ({"priority": "urgent"}, ["Renew liability insurance"]),
        ({"status": "in_progress"}, ["Update website photos", "Paint Henderson body"]),
        (
            {"due_before": "2026-11-19", "open_only": True},
            ["Send Henderson color samples"],
        ),
        ({"search": "SPRAYER"}, ["Clean sprayer"]),
        (
            {"assignee": "jake"},
            ["Clean sprayer", "Patch Smith Dental drywall", "Order paint for Smith Dental"],
        ),
        ({"assignee": "Maya", "open_only": True}, ["Send Henderson color samples"]),
        ({"assignee": "Nobody"}, []),
        ({"project": "henderson"}, HENDERSON),
        ({"project": "Tom Henderson", "status": "done"}, [*HENDERSON[:2], HENDERSON[3]]),
        (
            {"project": "Smith", "assignee": "Jake", "status": "todo"},
            ["Order paint for Smith Dental"],
        ),
    ],
)
def test_list_filters_in_due_order(ctx, args, titles):
    assert [t["title"] for t in execute(agent, "list_tasks", args, ctx).result["tasks"]] == titles


def test_an_assignee_is_found_by_first_name_and_a_project_by_id(ctx, stores):
    order = task_of(stores[0], "Order paint")
    execute(agent, "update_task", {"id": order["id"], "assignee": "Jake Miller"}, ctx)
    found = execute(agent, "list_tasks", {"assignee": "JAKE"}, ctx).result["tasks"]
    assert {t["assignee"] for t in found} == {"Jake", "Jake Miller"}
    smith = project(stores[0], "Smith")["id"]
    listed = execute(agent, "list_tasks", {"project_id": smith}, ctx).result["tasks"]
    assert [t["title"] for t in listed] == [
        "Patch Smith Dental drywall",
        "Order paint for Smith Dental",
    ]
    execute(agent, "update_task", {"id": order["id"], "assignee": None}, ctx)
    assert stores[0].get_record("tasks", order["id"])["assignee"] is None


@pytest.mark.parametrize(
    ("words", "error"),
    [
        ("Zed", "No project matches “Zed”."),
        ("o", "Several projects match: "),
    ],
)
def test_a_project_named_for_tasks_must_be_one(ctx, words, error):
    outcome = execute(agent, "list_tasks", {"project": words}, ctx)
    assert refused(outcome) and outcome.result["error"].startswith(error)


@BOTH_STORES
def test_a_projects_tasks_and_an_assignees_through_the_chat(app, client, users, live):
    henderson = project(live, "Henderson")
    rows = live.list_records("tasks", limit=100)
    event, result = scripted_call(
        app, client, users, "tasks", "list_tasks", project="Henderson", limit=100
    )
    mine = {row["id"] for row in rows if row["project_id"] == henderson["id"]}
    assert event["status"] == "ok" and {t["id"] for t in result["tasks"]} == mine
    assert result["total"] == len(mine) == 5
    _, result = scripted_call(app, client, users, "tasks", "list_tasks", assignee="luis")
    luis = {row["id"] for row in rows if row["assignee"] == "Luis"}
    assert {t["id"] for t in result["tasks"]} == luis and len(luis) == 3


@BOTH_STORES
def test_assigning_a_task_through_the_chat(app, client, users, live):
    primer = live.create_record("tasks", {"title": "Buy primer"})
    event, result = scripted_call(
        app, client, users, "tasks", "update_task", id=primer["id"], assignee="Jake"
    )
    assert event["status"] == "ok" and result["task"]["assignee"] == "Jake"
    assert live.get_record("tasks", primer["id"])["assignee"] == "Jake"


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
        ("list_tasks", {"assignee": ""}),
        ("list_tasks", {"project": ""}),
        ("list_tasks", {"project_id": "Henderson"}),
        ("create_task", {"title": "X", "assignee": "x" * 101}),
        ("create_task", {"title": "X", "assignee": 7}),
        ("complete_task", {"id": "17"}),
        ("task_stats", {"user_id": USER_A}),
        ("cancel_task", {"id": "17"}),
    ],
)
def test_bad_input_is_refused(ctx, stores, tool, args):
    outcome = execute(agent, tool, args, ctx)
    assert refused(outcome) and outcome.result["error"] == "Invalid input"
    assert stores[0].count_records("tasks") == 11


def test_another_users_tasks_are_out_of_reach(ctx, stores):
    theirs = task_of(stores[1], "Order paint")
    listed = execute(agent, "list_tasks", {"limit": 100}, ctx).result["tasks"]
    assert {t["user_id"] for t in listed} == {USER_A}
    assert execute(agent, "task_stats", {}, ctx).result["total"] == 11
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
