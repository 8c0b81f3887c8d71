"""The offline development model drives the projects agent: its rules read the user's words
into tool calls on the real store, and its templated answers read the results. These are
the development model's own tests; the projects agent's are in test_domain_projects.py."""

from __future__ import annotations

import pytest

from canvalo_app.agents.domains.projects import agent
from tests.agent_helpers import (
    agent_types,
    chat,
    project,
    tool_calls,
)
from tests.devmodel_helpers import drive, first_calls


# Offline rules ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "name", "args"),
    [
        (
            "how is the Henderson project going?",
            "list_projects",
            {"limit": 5, "search": "Henderson"},
        ),
        ("what's the budget status of my projects?", "budget_overview", {}),
        ("which projects are at risk?", "budget_overview", {}),
        ("how are my projects doing?", "budget_overview", {}),
        ("show my projects", "list_projects", {"limit": 20}),
        ("show my projects in progress", "list_projects", {"limit": 20, "status": "in_progress"}),
        ("set the Henderson project to 75%", "list_projects", {"limit": 5, "search": "Henderson"}),
        ("cancel the Smith project", "list_projects", {"limit": 5, "search": "Smith"}),
        (
            'create a project "Fence staining" for Grace Kim with a $2,000 budget',
            "create_project",
            {"name": "Fence staining", "client_name": "Grace Kim", "budget": 2000.0},
        ),
    ],
)
def test_rules_first_call(text, name, args):
    assert [(c.name, c.input) for c in first_calls(agent, text)] == [(name, args)]


def test_rules_how_is_a_project_going(ctx, stores):
    steps, reply = drive(agent, "how is the Henderson project going?", ctx)
    assert [s.name for s in steps] == ["list_projects", "project_progress"]
    assert reply == (
        "Henderson exterior repaint is 60% done (in progress) with 61.7% of its $12,000.00 budget "
        "used: $7,400.00 spent, $4,600.00 left. It's due to finish on Saturday, November 28, 2026, "
        "in 5 days. Spending is in line with progress."
    )


def test_rules_budget_status(ctx, stores):
    stores[0].update_record("projects", project(stores[0], "Smith")["id"], {"actual_cost": 5000})
    _, reply = drive(agent, "what's the budget status of my projects?", ctx)
    assert reply.startswith(
        "Across 3 active projects you've spent $12,400.00 of $24,700.00 budgeted ($12,300.00 left):"
    )
    assert (
        "- Smith Dental office interior: 25% done, 58.8% of its $8,500.00 budget used (at risk)"
        in reply
    )
    assert reply.endswith("At risk: Smith Dental office interior.")


def test_rules_update_progress(ctx, stores):
    steps, reply = drive(agent, "set the Henderson project to 75%", ctx)
    assert steps[-1].input == {"id": project(stores[0], "Henderson")["id"], "progress": 75}
    assert project(stores[0], "Henderson")["progress"] == 75
    assert (
        reply
        == "Henderson exterior repaint is now 75% done, with 61.7% of its $12,000.00 budget used."
    )


def test_rules_say_plainly_when_nothing_matches(ctx):
    steps, reply = drive(agent, "how is the Zed project going?", ctx)
    assert [s.name for s in steps] == ["list_projects"]
    assert reply == "I couldn't find any project matching “Zed”."


def test_rules_delete_waits_for_confirmation(ctx, stores):
    steps, reply = drive(agent, "delete the Kim project", ctx)
    assert steps[-1].status == "pending_confirmation"
    assert reply == (
        "I've asked you to confirm: Delete project “Kim deck staining”. "
        "Nothing changes until you confirm it in the app."
    )
    assert stores[0].count_records("projects") == 4


def test_rules_cancel_waits_for_confirmation(ctx, stores):
    steps, reply = drive(agent, "cancel the Smith project", ctx)
    assert [(s.name, s.status) for s in steps] == [
        ("list_projects", "ok"),
        ("cancel_project", "pending_confirmation"),
    ]
    assert reply == (
        "I've asked you to confirm: Cancel the project “Smith Dental office interior”. "
        "Nothing changes until you confirm it in the app."
    )
    assert project(stores[0], "Smith")["status"] == "in_progress"
    _, reply = drive(agent, "cancel the Kim project", ctx)
    assert reply == "I couldn't do that: The project “Kim deck staining” is already completed."


# End to end -------------------------------------------------------------------------------
def test_chat_how_is_a_project_going(client, users, live):
    evts, reply = chat(client, users, "how is the Henderson project going?")
    assert agent_types(evts) == ["projects"]
    assert tool_calls(evts) == ["list_projects", "project_progress"]
    assert reply.startswith("Henderson exterior repaint is 60% done (in progress)")
    assert "$7,400.00 spent, $4,600.00 left" in reply


def test_chat_budget_status(client, users, live):
    evts, reply = chat(client, users, "what's the budget status of my projects?")
    assert agent_types(evts) == ["projects"] and tool_calls(evts) == ["budget_overview"]
    assert "you've spent $9,500.00 of $24,700.00 budgeted" in reply


def test_chat_updates_progress(client, users, live):
    evts, reply = chat(client, users, "set the Henderson project to 75%")
    assert tool_calls(evts) == ["list_projects", "update_project_progress"]
    assert project(live, "Henderson")["progress"] == 75
    assert "now 75% done" in reply
