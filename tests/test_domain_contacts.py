"""The contacts agent: its tools on the real store, its offline rules, and the chat end to end."""

from __future__ import annotations

import pytest

from canvalo_app.agents.domains.contacts import agent
from canvalo_app.agents.tools import execute
from canvalo_app.agents.zone import shown
from tests.agent_helpers import agent_types, chat, drive, first_calls, refused, tool_calls
from tests.conftest import USER_A, USER_B


def contact(store, first_name: str) -> dict:
    return next(c for c in store.list_records("contacts") if c["first_name"] == first_name)


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


# Offline rules ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "name", "args"),
    [
        ("find Maria's phone number", "search_contacts", {"query": "Maria", "limit": 5}),
        ("who is 555-0190?", "search_contacts", {"query": "555-0190", "limit": 5}),
        ("how many leads do I have?", "contact_counts_by_type", {}),
        ("show my vendors", "list_contacts", {"limit": 20, "contact_type": "vendor"}),
        ("list my customers", "list_contacts", {"limit": 20, "contact_type": "client"}),
        (
            "add a contact Jane Doe, jane@example.com, lead",
            "create_contact",
            {
                "first_name": "Jane",
                "last_name": "Doe",
                "email": "jane@example.com",
                "contact_type": "lead",
            },
        ),
        (
            "add Bob Ray as a subcontractor, 555-0111",
            "create_contact",
            {
                "first_name": "Bob",
                "last_name": "Ray",
                "phone": "555-0111",
                "contact_type": "subcontractor",
            },
        ),
        ("make Priya Shah a client", "search_contacts", {"query": "Priya Shah", "limit": 5}),
    ],
)
def test_rules_first_call(text, name, args):
    assert [(c.name, c.input) for c in first_calls(agent, text)] == [(name, args)]


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("find Maria's phone number", "Maria Lopez's phone number is 555-0101."),
        ("what's Tom Henderson's email?", "Tom Henderson's email is tom@hendersonfamily.example."),
        ("what is Priya's phone number?", "I don't have a phone number for Priya Shah."),
        ("who is 555-0190?", "Here's what I have: Lee Park (vendor): Park Paint Supply, 555-0190."),
        ("find Zed's email", "I couldn't find any contact matching “Zed”."),
        ("how many leads do I have?", "You have 1 lead."),
        (
            "how many contacts do I have?",
            "You have 8 contacts: 1 lead, 3 clients, 1 past client, 1 vendor, 1 subcontractor, "
            "1 partner.",
        ),
        ("show my vendors", "You have 1 vendor:\n- Lee Park (vendor): Park Paint Supply, 555-0190"),
    ],
)
def test_rules_answers(ctx, text, reply):
    assert drive(agent, text, ctx)[1] == reply


def test_rules_add_a_contact(ctx, stores):
    _, reply = drive(agent, "add a contact Jane Doe, jane@example.com, lead", ctx)
    jane = contact(stores[0], "Jane")
    assert (jane["last_name"], jane["email"], jane["contact_type"]) == (
        "Doe",
        "jane@example.com",
        "lead",
    )
    assert reply == "Added Jane Doe (lead): jane@example.com."


def test_rules_change_type_and_delete(ctx, stores):
    steps, reply = drive(agent, "make Priya Shah a client", ctx)
    assert [s.name for s in steps] == ["search_contacts", "update_contact"]
    assert contact(stores[0], "Priya")["contact_type"] == "client"
    assert reply == "Priya Shah is now a client."
    steps, reply = drive(agent, "delete the contact Lee Park", ctx)
    assert steps[-1].status == "pending_confirmation"
    assert reply == (
        "I've asked you to confirm: Delete contact Lee Park (Park Paint Supply). "
        "Nothing changes until you confirm it in the app."
    )
    assert stores[0].count_records("contacts") == 8


# End to end -------------------------------------------------------------------------------
def test_chat_finds_a_phone_number(client, users, live):
    evts, reply = chat(client, users, "find Maria's phone number")
    assert agent_types(evts) == ["contacts"] and tool_calls(evts) == ["search_contacts"]
    assert reply == "Maria Lopez's phone number is 555-0101."


def test_chat_counts_leads(client, users, live):
    evts, reply = chat(client, users, "how many leads do I have?")
    assert agent_types(evts) == ["contacts"] and tool_calls(evts) == ["contact_counts_by_type"]
    assert reply == "You have 1 lead."


def test_chat_adds_a_contact(client, users, live):
    evts, reply = chat(client, users, "add a contact Jane Doe, jane@example.com, lead")
    assert agent_types(evts) == ["contacts"] and tool_calls(evts) == ["create_contact"]
    assert contact(live, "Jane")["email"] == "jane@example.com"
    assert reply == "Added Jane Doe (lead): jane@example.com."
