"""The offline development model drives the tasks agent: its rules read the user's words
into tool calls on the real store, and its templated answers read the results. These are
the development model's own tests; the tasks agent's are in test_domain_tasks.py."""

from __future__ import annotations

from datetime import date

import pytest

from canvalo_app.agents.domains.tasks import agent
from canvalo_app.agents.tools import execute
from tests.agent_helpers import (
    agent_types,
    chat,
    project,
    task_of,
    tool_calls,
)
from tests.conftest import BOTH_STORES
from tests.devmodel_helpers import drive, first_calls


# Offline rules ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "name", "args"),
    [
        (
            "what tasks are overdue?",
            "list_tasks",
            {"limit": 20, "overdue_only": True, "open_only": True},
        ),
        (
            "add a task to order primer by Friday with high priority",
            "create_task",
            {"title": "Order primer", "due_date": "2026-11-27", "priority": "high"},
        ),
        (
            "remind me to call the supplier tomorrow",
            "create_task",
            {"title": "Call the supplier", "due_date": "2026-11-24"},
        ),
        ("mark the sprayer task done", "list_tasks", {"search": "sprayer", "limit": 5}),
        (
            "complete the task Order paint for Smith Dental",
            "list_tasks",
            {"search": "Order paint for Smith Dental", "limit": 5},
        ),
        ("what's my task completion rate?", "task_stats", {}),
        ("cancel the task to buy primer", "list_tasks", {"search": "buy primer", "limit": 5}),
        ("call off the sprayer task", "list_tasks", {"search": "sprayer", "limit": 5}),
        (
            "what's due this week?",
            "list_tasks",
            {"limit": 20, "due_before": "2026-11-29", "open_only": True},
        ),
        (
            "show my urgent tasks",
            "list_tasks",
            {"limit": 20, "priority": "urgent", "open_only": True},
        ),
        ("assign the primer task to Jake", "list_tasks", {"search": "primer", "limit": 5}),
        ("give the sprayer task to luis", "list_tasks", {"search": "sprayer", "limit": 5}),
        (
            "what tasks are on the Henderson project?",
            "list_tasks",
            {"limit": 20, "project": "Henderson"},
        ),
        (
            "show the done tasks for the Smith Dental job",
            "list_tasks",
            {"limit": 20, "project": "Smith Dental", "status": "done"},
        ),
        ("tasks for Jake", "list_tasks", {"limit": 20, "assignee": "Jake", "open_only": True}),
        (
            "what tasks is Luis working on?",
            "list_tasks",
            {"limit": 20, "assignee": "Luis", "open_only": True},
        ),
        ("show Maya's tasks", "list_tasks", {"limit": 20, "assignee": "Maya", "open_only": True}),
    ],
)
def test_rules_first_call(text, name, args):
    assert [(c.name, c.input) for c in first_calls(agent, text)] == [(name, args)]


def test_rules_overdue_tasks(ctx):
    _, reply = drive(agent, "what tasks are overdue?", ctx)
    assert reply == (
        "You have 2 overdue tasks:\n"
        "- “Send Henderson color samples” (medium priority, to do, due Thursday, November 19, "
        "2026, assigned to Maya)\n"
        "- “Order paint for Smith Dental” (high priority, to do, due Sunday, November 22, 2026, "
        "assigned to Jake)"
    )


def test_rules_assign_a_task(ctx, stores):
    primer = stores[0].create_record("tasks", {"title": "Buy primer"})
    steps, reply = drive(agent, "assign the primer task to Jake", ctx)
    assert [(s.name, s.input) for s in steps] == [
        ("list_tasks", {"search": "primer", "limit": 5}),
        ("update_task", {"id": primer["id"], "assignee": "Jake"}),
    ]
    assert reply == "Assigned “Buy primer” to Jake."
    assert stores[0].get_record("tasks", primer["id"])["assignee"] == "Jake"
    steps, reply = drive(agent, "assign the primer task", ctx)
    assert steps == [] and reply.startswith("Which task, and to whom?")


def test_rules_a_projects_and_a_persons_tasks(ctx, stores):
    _, reply = drive(agent, "what tasks are on the Henderson project?", ctx)
    assert reply.startswith("I found 5 tasks on the Henderson project:\n")
    assert "- “Prime Henderson trim” (high priority, done, due Friday, November 20, 2026, " in reply
    _, reply = drive(agent, "what tasks is Luis working on?", ctx)
    assert reply == (
        "I found 1 task for Luis:\n- “Paint Henderson body” (high priority, in progress, "
        "due Friday, November 27, 2026, assigned to Luis)"
    )
    _, reply = drive(agent, "what tasks are on the Zed project?", ctx)
    assert reply == "I couldn't do that: No project matches “Zed”."
    _, reply = drive(agent, "tasks for Quinn", ctx)
    assert reply == "I found no tasks for Quinn."


def test_rules_add_a_task(ctx, stores):
    _, reply = drive(agent, "add a task to order primer by Friday with high priority", ctx)
    row = task_of(stores[0], "primer")
    assert (row["title"], row["due_date"], row["priority"], row["status"]) == (
        "Order primer",
        "2026-11-27",
        "high",
        "todo",
    )
    assert reply == (
        "Added the task “Order primer” (high priority, to do, due Friday, November 27, 2026)."
    )


def test_rules_complete_a_task(ctx, stores):
    steps, reply = drive(agent, "complete the task Order paint for Smith Dental", ctx)
    assert [s.name for s in steps] == ["list_tasks", "complete_task"]
    assert task_of(stores[0], "Order paint")["status"] == "done"
    assert reply == "Marked “Order paint for Smith Dental” done."
    _, reply = drive(agent, "mark the sprayer task done", ctx)
    assert reply == "“Clean sprayer” was already done (completed Tuesday, November 17, 2026)."


def test_completion_is_told_on_the_business_day(ctx, stores):
    """9 pm in New York on the 17th is already the 18th in UTC, as the store keeps it."""
    sprayer = task_of(stores[0], "sprayer")
    stores[0].update_record("tasks", sprayer["id"], {"completed_at": "2026-11-18T02:00:00+00:00"})
    got = execute(agent, "get_task", {"id": sprayer["id"]}, ctx).result["task"]
    assert got["completed_at"] == "2026-11-17T21:00:00-05:00"
    _, reply = drive(agent, "mark the sprayer task done", ctx)
    assert reply == "“Clean sprayer” was already done (completed Tuesday, November 17, 2026)."


def test_rules_completion_rate(ctx):
    _, reply = drive(agent, "what's my task completion rate?", ctx)
    assert reply.startswith(
        "Your task completion rate is 45.5%: 5 of 11 tasks done (cancelled tasks don't count). "
        "2 tasks are overdue."
    )
    assert reply.endswith("Open tasks by person: Jake 1; Luis 1; Maya 1; Unassigned 3.")


def test_rules_ask_or_say_when_nothing_fits(ctx, stores):
    steps, reply = drive(agent, "mark it done", ctx)
    assert steps == [] and reply == "Which task should I mark done? Tell me its name."
    steps, reply = drive(agent, "add a task", ctx)
    assert steps == [] and reply.startswith("What should the task say?")
    _, reply = drive(agent, "mark the roof task done", ctx)
    assert reply == "I couldn't find any task matching “roof”."
    stores[0].create_record("tasks", {"title": "Order primer"})
    _, reply = drive(agent, "mark the Order task done", ctx)
    assert reply.startswith("I found 2 tasks matching “Order”") and "Which one" in reply
    assert [t["status"] for t in stores[0].list_records("tasks") if "Order" in t["title"]] == [
        "todo",
        "todo",
    ]


def test_rules_cancel_waits_for_confirmation(ctx, stores):
    primer = stores[0].create_record("tasks", {"title": "Buy primer"})
    steps, reply = drive(agent, "cancel the task to buy primer", ctx)
    assert [(s.name, s.status) for s in steps] == [
        ("list_tasks", "ok"),
        ("cancel_task", "pending_confirmation"),
    ]
    assert reply == (
        "I've asked you to confirm: Cancel the task “Buy primer”. "
        "Nothing changes until you confirm it in the app."
    )
    assert stores[0].get_record("tasks", primer["id"]) == primer
    steps, reply = drive(agent, "cancel the task", ctx)
    assert steps == [] and reply == "Which task should I cancel? Tell me its name."
    _, reply = drive(agent, "cancel the roof task", ctx)
    assert reply == "I couldn't find any task matching “roof”."
    _, reply = drive(agent, "cancel the sprayer task", ctx)
    assert reply == "I couldn't do that: “Clean sprayer” is already done."


# End to end -------------------------------------------------------------------------------
def test_chat_overdue_tasks(client, users, live):
    evts, reply = chat(client, users, "what tasks are overdue?")
    assert agent_types(evts) == ["tasks"] and tool_calls(evts) == ["list_tasks"]
    assert reply.startswith("You have 2 overdue tasks:")
    assert "Order paint for Smith Dental" in reply and "Follow up" not in reply


def test_chat_adds_a_task(client, users, live):
    evts, reply = chat(client, users, "add a task to order primer by Friday with high priority")
    assert agent_types(evts) == ["tasks"] and tool_calls(evts) == ["create_task"]
    row = task_of(live, "primer")
    due = date.fromisoformat(row["due_date"])
    assert due.weekday() == 4 and row["priority"] == "high"
    assert "“Order primer” (high priority, to do, due Friday" in reply


def test_chat_completes_a_task(client, users, live):
    evts, reply = chat(client, users, "complete the task Order paint for Smith Dental")
    assert tool_calls(evts) == ["list_tasks", "complete_task"]
    assert task_of(live, "Order paint")["status"] == "done"
    assert reply == "Marked “Order paint for Smith Dental” done."


@BOTH_STORES
def test_chat_assigns_a_task(client, users, live):
    primer = live.create_record("tasks", {"title": "Buy primer"})
    evts, reply = chat(client, users, "assign the primer task to Jake")
    assert agent_types(evts) == ["tasks"] and tool_calls(evts) == ["list_tasks", "update_task"]
    assert live.get_record("tasks", primer["id"])["assignee"] == "Jake"
    assert reply == "Assigned “Buy primer” to Jake."


@BOTH_STORES
def test_chat_lists_a_projects_tasks(client, users, live):
    evts, reply = chat(client, users, "what tasks are on the Henderson project")
    assert agent_types(evts) == ["tasks"] and tool_calls(evts) == ["list_tasks"]
    henderson = project(live, "Henderson")["id"]
    titles = [
        t["title"] for t in live.list_records("tasks", limit=100) if t["project_id"] == henderson
    ]
    head, *lines = reply.split("\n")
    assert head == f"I found {len(titles)} tasks on the Henderson project:"
    assert sorted(line.split("”")[0].removeprefix("- “") for line in lines) == sorted(titles)
