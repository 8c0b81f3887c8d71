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
    task_of,
    tool_calls,
)
from tests.conftest import BOTH_STORES
from tests.devmodel_helpers import drive, first_calls

HENDERSON = ("list_projects", {"limit": 5, "search": "Henderson"})


def own_progress(store) -> tuple[float, int, int]:
    """The Henderson project's share of tasks done (cancelled left out), counted here."""
    henderson = project(store, "Henderson")["id"]
    tasks = [t for t in store.list_records("tasks", limit=100) if t["project_id"] == henderson]
    counted = [t for t in tasks if t["status"] != "cancelled"]
    done = sum(t["status"] == "done" for t in counted)
    return round(100 * done / len(counted), 1), done, len(counted)


def materials_sum(row: dict) -> float:
    return round(sum(item["quantity"] * item["cost"] for item in row["materials"]), 2)


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
        ("how far along is the Henderson project?", *HENDERSON),
        ("add Jake to the Henderson crew", *HENDERSON),
        (
            "put Jake on the Smith Dental job crew",
            "list_projects",
            {"limit": 5, "search": "Smith Dental"},
        ),
        ("remove Maya from the Henderson crew", *HENDERSON),
        ("who is on the Henderson crew?", *HENDERSON),
        ("add 5 gallons of primer at $32 to the Henderson job", *HENDERSON),
        ("what materials are on the Henderson job?", *HENDERSON),
    ],
)
def test_rules_first_call(text, name, args):
    assert [(c.name, c.input) for c in first_calls(agent, text)] == [(name, args)]


def test_rules_how_is_a_project_going(ctx, stores):
    steps, reply = drive(agent, "how is the Henderson project going?", ctx)
    assert [s.name for s in steps] == ["list_projects", "project_progress"]
    assert reply == (
        "Henderson exterior repaint is 60% done (in progress) with 68.8% of its $12,000.00 budget "
        "used: $8,260.00 spent (including $860.00 of materials), $3,740.00 left. That's 3 of its "
        "5 tasks done. It's due to finish on Saturday, November 28, 2026, in 5 days. Spending is "
        "in line with progress."
    )


def test_rules_progress_from_tasks_says_when_it_differs(ctx, stores):
    stores[0].update_record(
        "tasks", task_of(stores[0], "Paint Henderson")["id"], {"status": "done"}
    )
    _, reply = drive(agent, "how far along is the Henderson project?", ctx)
    assert reply.startswith("Henderson exterior repaint is 80% done (in progress)")
    assert "That's 4 of its 5 tasks done; the progress entered on the project says 60%." in reply


@pytest.mark.parametrize(
    ("text", "tool", "args", "crew", "reply"),
    [
        (
            "add Jake to the Henderson crew",
            "add_crew_member",
            {"name": "Jake"},
            ["Luis", "Maya", "Jake"],
            "Added Jake to the crew of project “Henderson exterior repaint”. "
            "The crew is now Luis, Maya and Jake.",
        ),
        (
            "remove maya from the Henderson exterior repaint crew",
            "remove_crew_member",
            {"name": "Maya"},
            ["Luis"],
            "Removed Maya from the crew of project “Henderson exterior repaint”. "
            "The crew is now Luis.",
        ),
        (
            "who is on the Henderson crew?",
            None,
            None,
            ["Luis", "Maya"],
            "On the Henderson exterior repaint crew: Luis and Maya.",
        ),
    ],
)
def test_rules_crew(ctx, stores, text, tool, args, crew, reply):
    steps, said = drive(agent, text, ctx)
    henderson = project(stores[0], "Henderson")
    calls = [(s.name, s.input) for s in steps[1:]]
    assert calls == ([(tool, {"id": henderson["id"], **args})] if tool else [])
    assert (henderson["crew"], said) == (crew, reply)


def test_rules_materials(ctx, stores):
    steps, reply = drive(agent, "add 5 gallons of primer at $32 to the Henderson job", ctx)
    henderson = project(stores[0], "Henderson")
    assert steps[-1].input == {
        "id": henderson["id"],
        "name": "Primer",
        "quantity": 5.0,
        "unit": "gallons",
        "cost": 32.0,
    }
    assert materials_sum(henderson) == 1020.0
    assert reply == (
        "Added 5 gallons of Primer at $32.00 each ($160.00). The materials on the job now come "
        "to $1,020.00 (3 lines)."
    )
    steps, _ = drive(agent, "add 3 rollers at $12.50 each to the Smith Dental project", ctx)
    assert steps[-1].input == {
        "id": project(stores[0], "Smith")["id"],
        "name": "Rollers",
        "quantity": 3.0,
        "cost": 12.5,
    }
    _, reply = drive(agent, "what materials are on the Henderson job?", ctx)
    assert reply == (
        "Materials on Henderson exterior repaint ($1,020.00 in all):\n"
        "- Exterior primer: 10 gallons at $32.00 = $320.00\n"
        "- Exterior satin paint: 12 gallons at $45.00 = $540.00\n"
        "- Primer: 5 gallons at $32.00 = $160.00"
    )
    _, reply = drive(agent, "what materials are on the Lopez job?", ctx)
    assert reply == "No materials are listed on Lopez kitchen cabinets yet."


def test_rules_budget_status(ctx, stores):
    stores[0].update_record("projects", project(stores[0], "Smith")["id"], {"actual_cost": 5000})
    _, reply = drive(agent, "what's the budget status of my projects?", ctx)
    assert reply.startswith(
        "Across 3 active projects you've spent $13,564.00 of $24,700.00 budgeted ($11,136.00 left):"
    )
    assert (
        "- Smith Dental office interior: 50% done, 62.4% of its $8,500.00 budget used (at risk)"
        in reply
    )
    assert reply.endswith("At risk: Smith Dental office interior.")


def test_rules_update_progress(ctx, stores):
    steps, reply = drive(agent, "set the Henderson project to 75%", ctx)
    assert steps[-1].input == {"id": project(stores[0], "Henderson")["id"], "progress": 75}
    assert project(stores[0], "Henderson")["progress"] == 75
    assert reply == (
        "Henderson exterior repaint is now 60% done, with 68.8% of its $12,000.00 budget used. "
        "That's 3 of its 5 tasks done; the progress entered on the project says 75%."
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
@BOTH_STORES
def test_chat_how_far_along_is_a_project(client, users, live):
    live.update_record("tasks", task_of(live, "samples")["id"], {"status": "cancelled"})
    evts, reply = chat(client, users, "how far along is the Henderson project")
    assert agent_types(evts) == ["projects"]
    assert tool_calls(evts) == ["list_projects", "project_progress"]
    progress, done, counted = own_progress(live)
    assert reply.startswith(f"Henderson exterior repaint is {progress:g}% done (in progress)")
    assert f"That's {done} of its {counted} tasks done; the progress entered" in reply
    figures = [e for e in evts if e["type"] == "stat_data"]
    assert progress == 75 and figures[0]["values"][0]["value"] == progress


@BOTH_STORES
def test_chat_adds_to_a_crew(client, users, live):
    before = project(live, "Henderson")["crew"]
    evts, reply = chat(client, users, "add Jake to the Henderson crew")
    assert agent_types(evts) == ["projects"]
    assert tool_calls(evts) == ["list_projects", "add_crew_member"]
    assert project(live, "Henderson")["crew"] == [*before, "Jake"]
    assert reply.startswith("Added Jake to the crew of project “Henderson exterior repaint”.")


@BOTH_STORES
def test_chat_adds_and_lists_materials(client, users, live):
    evts, reply = chat(client, users, "add 5 gallons of primer at $32 to the Henderson job")
    assert agent_types(evts) == ["projects"]
    assert tool_calls(evts) == ["list_projects", "add_material"]
    row = project(live, "Henderson")
    assert row["materials"][-1] == {"name": "Primer", "quantity": 5, "unit": "gallons", "cost": 32}
    assert f"now come to ${materials_sum(row):,.2f}" in reply
    evts, reply = chat(client, users, "what materials are on the Henderson job")
    assert tool_calls(evts) == ["list_projects", "project_materials"]
    assert reply.startswith(f"Materials on Henderson exterior repaint (${materials_sum(row):,.2f}")
    assert len(reply.split("\n")) == 1 + len(row["materials"])


def test_chat_budget_status(client, users, live):
    evts, reply = chat(client, users, "what's the budget status of my projects?")
    assert agent_types(evts) == ["projects"] and tool_calls(evts) == ["budget_overview"]
    assert "you've spent $10,664.00 of $24,700.00 budgeted" in reply


def test_chat_updates_progress(client, users, live):
    evts, reply = chat(client, users, "set the Henderson project to 75%")
    assert tool_calls(evts) == ["list_projects", "update_project_progress"]
    assert project(live, "Henderson")["progress"] == 75
    assert "now 60% done" in reply and "the progress entered on the project says 75%" in reply
