"""The offline development model drives the proposals agent: its rules read the user's words
into tool calls on the real store, and its templated answers read the results. These are
the development model's own tests; the proposals agent's are in test_domain_proposals.py."""

from __future__ import annotations

import pytest

from canvalo_app.agents.domains.proposals import agent
from tests.agent_helpers import agent_types, chat, proposal, tool_calls
from tests.devmodel_helpers import drive, first_calls


# Offline rules ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "name", "args"),
    [
        ("show my proposals", "list_proposals", {"limit": 20}),
        ("show my accepted proposals", "list_proposals", {"limit": 20, "status": "accepted"}),
        ("which quotes are still open?", "list_proposals", {"limit": 20, "open_only": True}),
        ("what's my proposal win rate?", "proposal_pipeline", {}),
        (
            "create a proposal for Grace Kim for $1,800 for fence staining",
            "create_proposal",
            {
                "client_name": "Grace Kim",
                "title": "Fence staining",
                "line_items": [
                    {"description": "Fence staining", "quantity": 1, "unit_price": 1800.0}
                ],
            },
        ),
        ("mark PRO-201 accepted", "list_proposals", {"limit": 5, "search": "PRO-201"}),
        (
            "Priya Shah rejected the proposal",
            "list_proposals",
            {"limit": 5, "search": "Priya Shah"},
        ),
        ("check the totals on PRO-202", "list_proposals", {"limit": 5, "search": "PRO-202"}),
    ],
)
def test_rules_first_call(text, name, args):
    assert [(c.name, c.input) for c in first_calls(agent, text)] == [(name, args)]


def test_rules_show_proposals(ctx):
    _, reply = drive(agent, "show my proposals", ctx)
    assert reply.startswith("You have 3 proposals:\n")
    assert (
        "- PRO-201 “Kitchen cabinet refinishing” for Maria Lopez: $2,600.10, sent, valid until "
        "Sunday, December 13, 2026" in reply
    )
    assert "- PRO-198 “Office interior” for Dan Smith: $9,095.00, accepted" in reply


def test_rules_win_rate(ctx):
    _, reply = drive(agent, "what's my proposal win rate?", ctx)
    assert reply == (
        "Your win rate is 100% (1 accepted, 0 rejected). 2 open proposals worth $8,495.80; "
        "accepted work totals $9,095.00. By status: 1 draft, 1 sent, 1 accepted."
    )


def test_rules_create_a_proposal(ctx, stores):
    _, reply = drive(agent, "create a proposal for Grace Kim for $1,800 for fence staining", ctx)
    assert proposal(stores[0], "PRO-203")["total_amount"] == 1926.0
    assert reply == (
        "I drafted proposal PRO-203 “Fence staining” for Grace Kim: $1,800.00 plus $126.00 tax, "
        "total $1,926.00, valid until Wednesday, December 23, 2026. It hasn't been sent."
    )


def test_rules_status_change(ctx, stores):
    steps, reply = drive(agent, "Priya Shah rejected the proposal", ctx)
    assert steps[-1].input == {"id": proposal(stores[0], "PRO-202")["id"], "status": "rejected"}
    assert proposal(stores[0], "PRO-202")["status"] == "rejected"
    assert reply == "PRO-202 “Whole-house interior” is now rejected."


def test_rules_totals_and_nothing_found(ctx):
    _, reply = drive(agent, "check the totals on PRO-202", ctx)
    assert reply == (
        "PRO-202 adds up to $5,810.00, less $300.00 discount, plus $385.70 tax (7%): $5,895.70, "
        "which matches the total on the proposal."
    )
    steps, reply = drive(agent, "mark PRO-999 accepted", ctx)
    assert [s.name for s in steps] == ["list_proposals"]
    assert reply == "I couldn't find any proposal matching “PRO-999”."


# End to end -------------------------------------------------------------------------------
def test_chat_show_proposals(client, users, live):
    evts, reply = chat(client, users, "show my proposals")
    assert agent_types(evts) == ["proposals"] and tool_calls(evts) == ["list_proposals"]
    assert all(number in reply for number in ("PRO-198", "PRO-201", "PRO-202"))


def test_chat_win_rate(client, users, live):
    evts, reply = chat(client, users, "what's my proposal win rate?")
    assert agent_types(evts) == ["proposals"] and tool_calls(evts) == ["proposal_pipeline"]
    assert reply.startswith("Your win rate is 100% (1 accepted, 0 rejected).")


def test_chat_marks_a_proposal_accepted(client, users, live):
    evts, reply = chat(client, users, "mark PRO-201 accepted")
    assert tool_calls(evts) == ["list_proposals", "update_proposal"]
    assert proposal(live, "PRO-201")["status"] == "accepted"
    assert reply == "PRO-201 “Kitchen cabinet refinishing” is now accepted."
