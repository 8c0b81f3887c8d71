"""Tools as the model meets them: the JSON schema made from each marshmallow schema, input
that is refused before it reaches the store, and failures that leave the turn going."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import pytest

from canvalo_app.agents.domains import agents
from canvalo_app.agents.domains.crud import ALL_ROWS
from canvalo_app.agents.tools import execute
from canvalo_app.store.tables import BUSINESS_TABLES
from tests.conftest import USER_A
from tests.helpers import answer_of, assistant_row, send, stream_events
from tests.scripted_model import Pause, call, install, route, say


@pytest.mark.parametrize("agent_type", sorted(agents()))
def test_no_tool_offers_the_model_a_user_id(agent_type):
    specs = agents()[agent_type].specs()
    assert specs and all("user_id" not in str(spec.input_schema) for spec in specs)
    assert all(spec.input_schema["additionalProperties"] is False for spec in specs)


def test_spec_comes_from_the_schema_that_validates():
    invoices = agents()["invoices"]
    schema = invoices.tools["list_invoices"].spec.input_schema
    assert schema["type"] == "object"
    assert schema["properties"]["status"]["enum"] == [
        "draft",
        "sent",
        "viewed",
        "partial",
        "paid",
        "overdue",
        "cancelled",
    ]
    payment = invoices.tools["record_payment"].spec.input_schema
    assert set(payment["required"]) >= {"invoice_id", "amount"}


def test_every_domain_has_its_record_tools():
    for name, agent in agents().items():
        assert any(tool.startswith("list_") for tool in agent.tools), name
        deletes = [tool for tool in agent.tools.values() if tool.name.startswith("delete_")]
        assert deletes and all(tool.destructive for tool in deletes), name


# Inputs that pass a type check but no store or calendar can take --------------------------
LINE = {"description": "Walls", "quantity": 1, "unit_price": 100}
FAR_FUTURE = {"start_time": "9999-12-31T23:00:00", "end_time": "9999-12-31T23:59:59"}


@dataclass(frozen=True)
class Own:
    """The id of one of the caller's own rows of `table`."""

    table: str


@dataclass(frozen=True)
class Theirs:
    """The id of one of the other user's rows of `table`."""

    table: str


def filled(value, mine, theirs):
    """`value` with each Own/Theirs placeholder replaced by a real id from that user's store."""
    if isinstance(value, dict):
        return {key: filled(item, mine, theirs) for key, item in value.items()}
    if isinstance(value, Own | Theirs):
        store = mine if isinstance(value, Own) else theirs
        return store.list_records(value.table, limit=1)[0]["id"]
    return value


def snapshot(store) -> dict:
    return {table: store.list_records(table, limit=ALL_ROWS) for table in BUSINESS_TABLES}


def run(ctx, stores, domain: str, tool: str, args: dict):
    return execute(agents()[domain], tool, filled(args, stores[0], stores[1]), ctx)


@pytest.mark.parametrize(
    ("domain", "tool", "args", "field"),
    [
        # Counts and amounts beyond what the store holds.
        (
            "campaigns",
            "create_campaign",
            {"name": "X", "recipients_count": 10**30},
            "recipients_count",
        ),
        ("campaigns", "create_campaign", {"name": "X", "opens_count": 10**30}, "opens_count"),
        ("campaigns", "create_campaign", {"name": "X", "clicks_count": 10**30}, "clicks_count"),
        (
            "campaigns",
            "create_campaign",
            {"name": "X", "conversions_count": 10**30},
            "conversions_count",
        ),
        (
            "campaigns",
            "create_campaign",
            {"name": "X", "recipients_count": 1e308},
            "recipients_count",
        ),
        (
            "campaigns",
            "update_campaign",
            {"id": Own("campaigns"), "opens_count": 10**30},
            "opens_count",
        ),
        (
            "campaigns",
            "update_campaign",
            {"id": Own("campaigns"), "clicks_count": 1e308},
            "clicks_count",
        ),
        (
            "settings",
            "create_goal",
            {"title": "x", "target_value": 1e-300, "current_value": 1e308},
            "target_value",
        ),
        (
            "settings",
            "create_goal",
            {"title": "x", "target_value": 5, "current_value": 1e308},
            "current_value",
        ),
        ("settings", "create_goal", {"title": "x", "target_value": 1e308}, "target_value"),
        ("settings", "update_goal", {"id": Own("goals"), "current_value": 1e308}, "current_value"),
        (
            "invoices",
            "create_invoice",
            {
                "client_name": "X",
                "line_items": [{**LINE, "quantity": 100_000, "unit_price": 10_000_000}],
            },
            "line_items",
        ),
        (
            "proposals",
            "create_proposal",
            {"client_name": "X", "title": "T", "line_items": [{**LINE, "unit_price": 1e308}]},
            "line_items",
        ),
        # Dates and times at the ends of the calendar.
        ("appointments", "check_conflicts", FAR_FUTURE, "start_time"),
        ("appointments", "create_appointment", {"title": "X", **FAR_FUTURE}, "start_time"),
        (
            "appointments",
            "create_appointment",
            {"title": "X", "start_time": "2026-12-01T10:00:00", "end_time": "9999-12-31T23:59:59"},
            "end_time",
        ),
        (
            "appointments",
            "update_appointment",
            {"id": Own("appointments"), **FAR_FUTURE},
            "start_time",
        ),
        ("appointments", "list_appointments", {"to_date": "9999-12-31"}, "to_date"),
        ("appointments", "list_appointments", {"from_date": "0001-01-01"}, "from_date"),
        ("appointments", "suggest_free_slots", {"date": "9999-12-31"}, "date"),
        (
            "campaigns",
            "create_campaign",
            {"name": "X", "scheduled_at": "9999-12-31T23:59:59"},
            "scheduled_at",
        ),
        (
            "campaigns",
            "update_campaign",
            {"id": Own("campaigns"), "scheduled_at": "9999-12-31T23:59:59"},
            "scheduled_at",
        ),
        (
            "campaigns",
            "schedule_campaign",
            {"id": Own("campaigns"), "scheduled_at": "9999-12-31T23:59:59"},
            "scheduled_at",
        ),
        (
            "invoices",
            "create_invoice",
            {"client_name": "X", "line_items": [LINE], "issue_date": "9999-12-31"},
            "issue_date",
        ),
        ("invoices", "list_invoices", {"due_after": "9999-12-31"}, "due_after"),
        (
            "invoices",
            "record_payment",
            {"invoice_id": Own("invoices"), "amount": 1, "date": "9999-12-31"},
            "date",
        ),
        (
            "proposals",
            "create_proposal",
            {"client_name": "X", "title": "T", "line_items": [LINE], "valid_until": "9999-12-31"},
            "valid_until",
        ),
        ("projects", "create_project", {"name": "X", "start_date": "1066-10-14"}, "start_date"),
        ("tasks", "create_task", {"title": "X", "due_date": "9999-12-31"}, "due_date"),
        (
            "reviews",
            "create_review",
            {"reviewer_name": "X", "rating": 5, "review_date": "0001-01-01"},
            "review_date",
        ),
        (
            "settings",
            "create_goal",
            {"title": "x", "target_value": 5, "period_end": "9999-12-31"},
            "period_end",
        ),
        # Text the store cannot encode or keep.
        ("contacts", "create_contact", {"first_name": "\ud800"}, "first_name"),
        ("contacts", "search_contacts", {"query": "Lopez \ud800"}, "query"),
        ("contacts", "list_contacts", {"search": "\udfff"}, "search"),
        ("invoices", "list_invoices", {"search": "\ud800"}, "search"),
        (
            "invoices",
            "create_invoice",
            {"client_name": "X", "line_items": [{**LINE, "description": "\ud800"}]},
            "line_items",
        ),
        ("invoices", "invoice_project", {"project": "Smith \ud800"}, "project"),
        (
            "appointments",
            "create_appointment",
            {"title": "\ud800", "start_time": "2026-12-01T10:00:00"},
            "title",
        ),
        ("tasks", "create_task", {"title": "Order\x00paint"}, "title"),
        (
            "projects",
            "update_project",
            {"id": Own("projects"), "description": "a\x00b"},
            "description",
        ),
        (
            "reviews",
            "save_review_response",
            {"id": Own("reviews"), "response": "Thanks \ud83d"},
            "response",
        ),
        ("campaigns", "campaign_metrics", {"name": "\ud800"}, "name"),
        ("settings", "update_business_profile", {"business_name": "\ud800"}, "business_name"),
    ],
)
def test_out_of_range_input_is_refused_naming_the_field(ctx, stores, domain, tool, args, field):
    before = snapshot(stores[0])
    outcome = run(ctx, stores, domain, tool, args)
    assert outcome.status == "error", outcome.result
    assert outcome.result["error"] == "Invalid input" and field in outcome.result["fields"]
    json.dumps(outcome.result, allow_nan=False)
    assert snapshot(stores[0]) == before


def test_amounts_are_kept_to_the_cent(ctx, stores):
    args = {"name": "X", "budget": 100.004, "spent": 19.999}
    outcome = run(ctx, stores, "campaigns", "create_campaign", args)
    stored = stores[0].get_record("campaigns", outcome.result["campaign"]["id"])
    assert (stored["budget"], stored["spent"]) == (100.0, 20.0)
    payment = {"invoice_id": Own("invoices"), "amount": 0.004}
    assert run(ctx, stores, "invoices", "record_payment", payment).result["fields"] == {
        "amount": ["Must be greater than 0 and less than or equal to 10000000."]
    }


def json_numbers(schema: dict, path: str = ""):
    """Every number or integer property of a JSON schema, nested ones included."""
    if schema.get("type") in ("number", "integer"):
        yield path, schema
    for name, prop in schema.get("properties", {}).items():
        yield from json_numbers(prop, f"{path}.{name}")
    if "items" in schema:
        yield from json_numbers(schema["items"], f"{path}[]")


@pytest.mark.parametrize("agent_type", sorted(agents()))
def test_the_model_is_told_the_range_of_every_number(agent_type):
    for spec in agents()[agent_type].specs():
        json.dumps(spec.input_schema, allow_nan=False)
        for path, prop in json_numbers(spec.input_schema, spec.name):
            assert "minimum" in prop and "maximum" in prop, path


# References to other records -----------------------------------------------------------
@pytest.mark.parametrize(
    ("domain", "tool", "args", "field", "error"),
    [
        (
            "invoices",
            "create_invoice",
            {"client_name": "X", "line_items": [LINE], "project_id": Theirs("projects")},
            "project_id",
            "No project with that id.",
        ),
        (
            "invoices",
            "create_invoice",
            {"client_name": "X", "line_items": [LINE], "contact_id": Theirs("contacts")},
            "contact_id",
            "No contact with that id.",
        ),
        (
            "invoices",
            "update_invoice",
            {"id": Own("invoices"), "project_id": Theirs("projects")},
            "project_id",
            "No project with that id.",
        ),
        (
            "proposals",
            "create_proposal",
            {
                "client_name": "X",
                "title": "T",
                "line_items": [LINE],
                "project_id": Theirs("projects"),
            },
            "project_id",
            "No project with that id.",
        ),
        (
            "tasks",
            "create_task",
            {"title": "X", "project_id": Theirs("projects")},
            "project_id",
            "No project with that id.",
        ),
        (
            "tasks",
            "update_task",
            {"id": Own("tasks"), "project_id": Theirs("projects")},
            "project_id",
            "No project with that id.",
        ),
        (
            "tasks",
            "create_task",
            {"title": "X", "project_id": "00000000-0000-4000-8000-000000000000"},
            "project_id",
            "No project with that id.",
        ),
        (
            "projects",
            "create_project",
            {"name": "X", "contact_id": Theirs("contacts")},
            "contact_id",
            "No contact with that id.",
        ),
        (
            "reviews",
            "create_review",
            {
                "reviewer_name": "X",
                "rating": 5,
                "review_date": "2026-11-01",
                "project_id": Theirs("projects"),
            },
            "project_id",
            "No project with that id.",
        ),
        (
            "appointments",
            "create_appointment",
            {"title": "X", "start_time": "2026-12-02T06:00:00", "contact_id": Theirs("contacts")},
            "contact_id",
            "No contact with that id.",
        ),
        (
            "appointments",
            "update_appointment",
            {"id": Own("appointments"), "project_id": Theirs("projects")},
            "project_id",
            "No project with that id.",
        ),
        (
            "appointments",
            "check_conflicts",
            {"start_time": "2026-12-02T06:00:00", "exclude_id": Theirs("appointments")},
            "exclude_id",
            "No appointment with that id.",
        ),
    ],
)
def test_a_reference_to_another_users_record_is_refused(
    ctx, stores, domain, tool, args, field, error
):
    before = [snapshot(store) for store in stores]
    outcome = run(ctx, stores, domain, tool, args)
    assert outcome.status == "error", outcome.result
    assert outcome.result["error"] == error and outcome.result["fields"] == {field: [error]}
    assert [snapshot(store) for store in stores] == before


def test_a_reference_to_the_callers_own_record_is_kept(ctx, stores):
    project = stores[0].list_records("projects", limit=1)[0]
    outcome = run(ctx, stores, "tasks", "create_task", {"title": "X", "project_id": project["id"]})
    assert outcome.status == "ok"
    assert (
        stores[0].get_record("tasks", outcome.result["task"]["id"])["project_id"] == project["id"]
    )


# A tool that fails unexpectedly -----------------------------------------------------------
def test_a_failing_tool_is_an_error_result_and_the_turn_goes_on(app, client, users, live, caplog):
    # A goal row whose period end no tool wrote: reading it fails inside goal_progress.
    live.create_record("goals", {"title": "Broken", "target_value": 10, "period_end": "someday"})
    model = install(app, route("settings"), call("goal_progress"), say("I couldn't read that."))
    package = logging.getLogger("canvalo_app")
    package.addHandler(caplog.handler)
    try:
        evts = stream_events(send(client, users.a, "how are my goals?"))
    finally:
        package.removeHandler(caplog.handler)
    assert [e["type"] for e in evts if e["type"] != "token"] == [
        "start",
        "agent",
        "tool_call",
        "tool_result",
        "complete",
    ]
    [result] = [e for e in evts if e["type"] == "tool_result"]
    assert result["status"] == "error" and result["tool_name"] == "goal_progress"
    assert answer_of(evts) == "I couldn't read that."
    given = model.requests[-1].messages[-1]["content"][0]["toolResult"]
    assert given["status"] == "error"
    told = json.dumps(given["content"])
    assert "someday" not in told and "ValueError" not in told and "fromisoformat" not in told
    [logged] = [r for r in caplog.records if r.exc_info and "goal_progress" in r.getMessage()]
    assert logged.exc_info[0] is ValueError
    row = assistant_row(client, users.a, evts[0]["conversation_id"])
    assert row["status"] == "complete"
    assert row["metadata"]["tool_calls"][0]["status"] == "error"


@pytest.mark.parametrize("store_backend", ["supabase"], indirect=True)
def test_a_session_that_lapses_during_a_tool_still_ends_the_turn(make_app, users):
    # PostgREST accepts a token up to 30 s past its exp: one minted 26 s past it stops working
    # about 4 s into the turn, while the agent's model call is still pausing.
    app = make_app(JWT_LEEWAY_SECONDS=30)
    install(app, route("tasks"), [Pause(6.0), *call("list_tasks")], say("Done."))
    headers = {"Authorization": f"Bearer {users.token(USER_A, ttl_seconds=-26)}"}
    evts = stream_events(send(app.test_client(), headers, "list my tasks"))
    assert [e["type"] for e in evts][-2:] == ["tool_call", "error"]
    assert evts[-1]["code"] == "TOKEN_EXPIRED"
