"""The offline development model drives the contacts agent: its rules read the user's words
into tool calls on the real store, and its templated answers read the results. These are
the development model's own tests; the contacts agent's are in test_domain_contacts.py."""

from __future__ import annotations

import pytest

from canvalo_app.agents.domains.contacts import agent
from tests.agent_helpers import agent_types, chat, contact, tool_calls
from tests.devmodel_helpers import drive, first_calls


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
