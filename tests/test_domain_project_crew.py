"""A project's crew and materials: the projects agent's tools for them, on the real store and
through the chat with a scripted model. The offline model's rules for them are tested in
test_devmodel_projects.py."""

from __future__ import annotations

import pytest

from canvalo_app.agents.domains.projects import agent
from canvalo_app.agents.tools import execute
from canvalo_app.llm.base import Stop, ToolUse, Usage
from tests.agent_helpers import project, refused
from tests.conftest import BOTH_STORES, USER_B
from tests.helpers import send, stream_events
from tests.scripted_model import call, install, route, say


def materials_sum(row: dict) -> float:
    """What a project's materials cost, worked out here: each line's quantity at its cost."""
    return round(sum(item["quantity"] * item["cost"] for item in row["materials"]), 2)


def through_the_chat(app, client, users, tool: str, args: dict) -> tuple[dict, dict]:
    """A turn in which a scripted model has the projects agent call `tool` with `args` (which
    may hold a `name`): the tool_result event and the result the model got back."""
    script = [ToolUse("crew-call", tool, args), Stop("tool_use"), Usage(9, 3)]
    model = install(app, route("projects"), script, say("Done."))
    [event] = [
        e for e in stream_events(send(client, users.a, "do it")) if e["type"] == "tool_result"
    ]
    given = model.requests[-1].messages[-1]["content"][0]["toolResult"]["content"][0]["json"]
    return event, given["result"]


def test_crew_members_are_added_once_and_removed(ctx, stores):
    henderson = project(stores[0], "Henderson")
    added = execute(agent, "add_crew_member", {"id": henderson["id"], "name": "Jake"}, ctx)
    assert added.result["crew"] == ["Luis", "Maya", "Jake"] and added.result["added"] is True
    assert added.summary == "Added Jake to the crew of project “Henderson exterior repaint”"
    again = execute(agent, "add_crew_member", {"id": henderson["id"], "name": "JAKE"}, ctx)
    assert again.result["added"] is False and again.summary.startswith("Jake is already on")
    removed = execute(agent, "remove_crew_member", {"id": henderson["id"], "name": "maya"}, ctx)
    assert removed.summary == "Removed Maya from the crew of project “Henderson exterior repaint”"
    assert project(stores[0], "Henderson")["crew"] == ["Luis", "Jake"]
    missing = execute(agent, "remove_crew_member", {"id": henderson["id"], "name": "Zoe"}, ctx)
    assert refused(missing) and missing.result["error"] == (
        "Zoe is not on the crew of project “Henderson exterior repaint” (on it: Luis, Jake)."
    )


def test_materials_are_added_and_costed(ctx, stores):
    henderson = project(stores[0], "Henderson")
    args = {"id": henderson["id"], "name": "Primer", "quantity": 5, "unit": "gallons", "cost": 32}
    added = execute(agent, "add_material", args, ctx).result
    row = project(stores[0], "Henderson")
    assert row["materials"][-1] == {"name": "Primer", "quantity": 5, "unit": "gallons", "cost": 32}
    assert added["material"]["total"] == 160.0
    assert added["materials_cost"] == materials_sum(row) == 1020.0
    listed = execute(agent, "project_materials", {"id": henderson["id"]}, ctx).result
    assert [line["total"] for line in listed["materials"]] == [320.0, 540.0, 160.0]
    assert listed["materials_cost"] == materials_sum(row)
    [figure] = listed["stat_data"]
    assert (figure["kind"], sum(v["value"] for v in figure["values"])) == ("breakdown", 1020.0)
    progress = execute(agent, "project_progress", {"id": henderson["id"]}, ctx).result["project"]
    assert progress["total_cost"] == row["actual_cost"] + materials_sum(row)
    lopez = execute(agent, "project_materials", {"id": project(stores[0], "Lopez")["id"]}, ctx)
    assert lopez.result["materials"] == [] and lopez.result["stat_data"] == []


def test_a_project_is_created_with_its_crew_and_materials(ctx, stores):
    materials = [{"name": "Deck stain", "quantity": 4, "unit": "gallons", "cost": 41.5}]
    args = {"name": "Fence", "crew": ["Jake", "Luis"], "materials": materials}
    created = execute(agent, "create_project", args, ctx).result["project"]
    row = stores[0].get_record("projects", created["id"])
    assert (row["crew"], row["materials"]) == (["Jake", "Luis"], materials)
    health = execute(agent, "project_progress", {"id": row["id"]}, ctx).result["project"]
    assert health["materials_cost"] == materials_sum(row) == 166.0


@pytest.mark.parametrize(
    ("tool", "args"),
    [
        ("add_crew_member", {"name": "Jake", "role": "painter"}),
        ("add_crew_member", {"name": ""}),
        ("add_crew_member", {"name": "x" * 101}),
        ("remove_crew_member", {}),
        ("add_material", {"name": "Primer", "quantity": 5}),
        ("add_material", {"name": "Primer", "quantity": 0, "cost": 32}),
        ("add_material", {"name": "Primer", "quantity": 5, "cost": -1}),
        ("add_material", {"name": "Primer", "quantity": 5, "cost": 32, "colour": "white"}),
        ("update_project", {"crew": "Jake"}),
        ("update_project", {"materials": [{"name": "Primer", "quantity": 1}]}),
        ("update_project", {"crew": ["x"] * 51}),
    ],
)
def test_bad_input_is_refused(ctx, stores, tool, args):
    henderson = project(stores[0], "Henderson")
    outcome = execute(agent, tool, {"id": henderson["id"], **args}, ctx)
    assert refused(outcome) and outcome.result["error"] == "Invalid input"
    assert project(stores[0], "Henderson") == henderson


def test_another_users_crew_and_materials_are_out_of_reach(ctx, stores):
    theirs = project(stores[1], "Henderson")
    for tool, extra in [
        ("add_crew_member", {"name": "Jake"}),
        ("remove_crew_member", {"name": "Luis"}),
        ("add_material", {"name": "Primer", "quantity": 1, "cost": 1}),
        ("project_materials", {}),
    ]:
        outcome = execute(agent, tool, {"id": theirs["id"], **extra}, ctx)
        assert refused(outcome) and "was found" in outcome.result["error"], tool
    assert project(stores[1], "Henderson") == theirs
    assert theirs["user_id"] == USER_B


@BOTH_STORES
def test_crew_and_materials_through_the_chat(app, client, users, live):
    henderson = project(live, "Henderson")
    event, result = through_the_chat(
        app, client, users, "add_crew_member", {"id": henderson["id"], "name": "Jake"}
    )
    assert event["status"] == "ok" and result["crew"] == [*henderson["crew"], "Jake"]
    assert project(live, "Henderson")["crew"] == result["crew"]
    primer = {"name": "Primer", "quantity": 5, "unit": "gallons", "cost": 32}
    event, result = through_the_chat(
        app, client, users, "add_material", {"id": henderson["id"], **primer}
    )
    row = project(live, "Henderson")
    assert event["status"] == "ok" and result["materials_cost"] == materials_sum(row)
    assert row["materials"][-1] == primer
    install(app, route("projects"), call("project_materials", id=henderson["id"]), say("Done."))
    evts = stream_events(send(client, users.a, "what materials?"))
    [figure] = [e for e in evts if e["type"] == "stat_data"]
    assert {v["label"]: v["value"] for v in figure["values"]} == {
        item["name"]: item["quantity"] * item["cost"] for item in row["materials"]
    }
