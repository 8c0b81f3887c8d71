"""The contacts agent: its tools on the real store. The offline model's rules for it, and chats
it answers end to end, are tested in test_devmodel_contacts.py."""

from __future__ import annotations

import pytest

from canvalo_app.agents.domains.contacts import agent
from canvalo_app.agents.tools import execute
from canvalo_app.agents.zone import shown
from tests.agent_helpers import contact, refused
from tests.conftest import USER_A, USER_B


def full_names(rows: list[dict]) -> set[str]:
    return {f"{row['first_name']} {row['last_name']}" for row in rows}


# Tools ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Maria Lopez", {"Maria Lopez"}),
        ("lopez maria", {"Maria Lopez"}),
        ("Smith Dental", {"Dan Smith"}),
        ("555-0190", {"Lee Park"}),
        ("example.com", {"Maria Lopez", "Priya Shah", "Grace Kim"}),
        ("Maria Henderson", set()),
        ("100%_", set()),
    ],
)
def test_search_contacts_needs_every_word(ctx, query, expected):
    assert (
        full_names(execute(agent, "search_contacts", {"query": query}, ctx).result["contacts"])
        == expected
    )


def test_search_contacts_by_type(ctx):
    found = execute(agent, "search_contacts", {"query": "example", "contact_type": "lead"}, ctx)
    assert full_names(found.result["contacts"]) == {"Priya Shah"}
    assert found.summary == "Found 1 contact for “example”"


def test_contact_counts_by_type(ctx, stores):
    outcome = execute(agent, "contact_counts_by_type", {}, ctx)
    assert outcome.result["counts"] == {
        "lead": 1,
        "client": 3,
        "past_client": 1,
        "vendor": 1,
        "subcontractor": 1,
        "partner": 1,
    }
    assert outcome.result["total"] == 8
    execute(agent, "create_contact", {"first_name": "Jane", "contact_type": "lead"}, ctx)
    assert execute(agent, "contact_counts_by_type", {}, ctx).result["counts"]["lead"] == 2


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"contact_type": "client"}, {"Maria Lopez", "Tom Henderson", "Dan Smith"}),
        ({"search": "park paint"}, {"Lee Park"}),
        ({"search": "brooks", "contact_type": "partner"}, {"Nina Brooks"}),
        ({"search": "brooks", "contact_type": "vendor"}, set()),
    ],
)
def test_list_filters(ctx, args, expected):
    assert full_names(execute(agent, "list_contacts", args, ctx).result["contacts"]) == expected


def test_create_and_update(ctx, stores):
    created = execute(
        agent,
        "create_contact",
        {
            "first_name": "Jane",
            "last_name": "Doe",
            "email": "jane@example.com",
            "contact_type": "lead",
        },
        ctx,
    )
    jane = created.result["contact"]
    assert created.summary == "Created contact Jane Doe"
    # The row as stored, its times shown in the business's zone as results show them.
    assert shown(stores[0].get_record("contacts", jane["id"]), ctx.zone) == jane
    execute(agent, "update_contact", {"id": jane["id"], "contact_type": "client"}, ctx)
    assert stores[0].get_record("contacts", jane["id"])["contact_type"] == "client"


def test_delete_waits_for_confirmation(ctx, stores):
    lee = contact(stores[0], "Lee")
    outcome = execute(agent, "delete_contact", {"id": lee["id"]}, ctx)
    assert outcome.status == "pending_confirmation"
    assert outcome.action["summary"] == "Delete contact Lee Park (Park Paint Supply)"
    assert stores[0].get_record("contacts", lee["id"]) == lee


@pytest.mark.parametrize(
    ("tool", "args"),
    [
        ("create_contact", {"last_name": "Doe"}),
        ("create_contact", {"first_name": ""}),
        ("create_contact", {"first_name": "x" * 101}),
        ("create_contact", {"first_name": "Jane", "email": "jane-at-example"}),
        ("create_contact", {"first_name": "Jane", "contact_type": "friend"}),
        ("create_contact", {"first_name": "Jane", "phone": 5550101}),
        ("create_contact", {"first_name": "Jane", "user_id": USER_B}),
        ("list_contacts", {"contact_type": "customer"}),
        ("search_contacts", {}),
        ("search_contacts", {"query": "Maria", "limit": 51}),
        ("contact_counts_by_type", {"user_id": USER_A}),
        ("update_contact", {"first_name": "Jane"}),
    ],
)
def test_bad_input_is_refused(ctx, stores, tool, args):
    outcome = execute(agent, tool, args, ctx)
    assert refused(outcome) and outcome.result["error"] == "Invalid input"
    assert stores[0].count_records("contacts") == 8


def test_another_users_contacts_are_out_of_reach(ctx, stores):
    theirs = contact(stores[1], "Maria")
    found = execute(agent, "search_contacts", {"query": "Maria"}, ctx).result["contacts"]
    assert [row["user_id"] for row in found] == [USER_A]
    for tool, extra in [
        ("get_contact", {}),
        ("update_contact", {"phone": "555-9999"}),
        ("delete_contact", {}),
    ]:
        outcome = execute(agent, tool, {"id": theirs["id"], **extra}, ctx)
        assert refused(outcome) and "was found" in outcome.result["error"], tool
    assert stores[1].get_record("contacts", theirs["id"]) == theirs
    assert execute(agent, "contact_counts_by_type", {}, ctx).result["total"] == 8
