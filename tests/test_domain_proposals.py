"""The proposals agent: its tools on the real store, its offline rules, and the chat end to end."""

from __future__ import annotations

import pytest

from canvalo_app.agents.domains.proposals import agent
from canvalo_app.agents.tools import execute
from canvalo_app.agents.zone import shown
from tests.agent_helpers import agent_types, chat, drive, first_calls, refused, tool_calls
from tests.conftest import USER_A, USER_B


def proposal(store, number: str) -> dict:
    return next(p for p in store.list_records("proposals") if p["proposal_number"] == number)


# Tools ------------------------------------------------------------------------------------
def test_create_computes_totals_number_and_validity(ctx, stores):
    outcome = execute(
        agent,
        "create_proposal",
        {
            "title": "Fence staining",
            "client_name": "Grace Kim",
            "discount_amount": 100,
            "line_items": [
                {"description": "Fence panels", "quantity": 12, "unit_price": 75},
                {"description": "Gate", "unit_price": 150},
            ],
        },
        ctx,
    )
    created = outcome.result["proposal"]
    assert outcome.summary == "Created proposal PRO-203 “Fence staining”"
    assert (created["subtotal"], created["discount_amount"], created["tax_amount"]) == (
        1050.0,
        100.0,
        66.5,
    )
    assert (created["total_amount"], created["status"], created["valid_until"]) == (
        1016.5,
        "draft",
        "2026-12-23",
    )
    # The row as stored, its times shown in the business's zone as results show them.
    assert shown(stores[0].get_record("proposals", created["id"]), ctx.zone) == created


def test_discount_above_the_subtotal_is_refused(ctx, stores):
    outcome = execute(
        agent,
        "create_proposal",
        {
            "title": "Gate",
            "client_name": "Grace Kim",
            "discount_amount": 500,
            "line_items": [{"description": "Gate", "unit_price": 150}],
        },
        ctx,
    )
    assert (
        refused(outcome)
        and outcome.result["error"] == "The discount ($500.00) is more than the subtotal."
    )
    assert stores[0].count_records("proposals") == 3


def test_status_changes_and_line_item_changes_via_update(ctx, stores):
    sent = proposal(stores[0], "PRO-201")
    accepted = execute(agent, "update_proposal", {"id": sent["id"], "status": "accepted"}, ctx)
    assert accepted.result["proposal"]["status"] == "accepted"
    assert accepted.result["proposal"]["total_amount"] == sent["total_amount"]
    repriced = execute(
        agent,
        "update_proposal",
        {
            "id": sent["id"],
            "line_items": [{"description": "Doors", "quantity": 10, "unit_price": 100}],
        },
        ctx,
    )
    assert (
        repriced.result["proposal"]["subtotal"],
        repriced.result["proposal"]["total_amount"],
    ) == (1000.0, 1070.0)


def test_proposal_totals_recompute_from_line_items(ctx, stores):
    whole_house = proposal(stores[0], "PRO-202")
    outcome = execute(agent, "proposal_totals", {"id": whole_house["id"]}, ctx)
    result = outcome.result
    assert (result["subtotal"], result["discount_amount"], result["tax_amount"]) == (
        5810.0,
        300.0,
        385.7,
    )
    assert (result["total_amount"], result["consistent"]) == (5895.7, True)
    assert outcome.summary == "proposal PRO-202 “Whole-house interior”: total $5,895.70 (matches)"
    stores[0].update_record("proposals", whole_house["id"], {"total_amount": 6000})
    drifted = execute(agent, "proposal_totals", {"id": whole_house["id"]}, ctx)
    assert drifted.result["consistent"] is False and drifted.result["total_amount"] == 5895.7
    assert drifted.summary.endswith("(differs from the stored $6,000.00)")


def test_proposal_pipeline_and_win_rate(ctx, stores):
    result = execute(agent, "proposal_pipeline", {}, ctx).result
    assert result["by_status"]["draft"] == {"count": 1, "value": 5895.7}
    assert result["by_status"]["accepted"] == {"count": 1, "value": 9095.0}
    assert (result["total"], result["open_value"], result["win_rate"]) == (3, 8495.8, 100.0)
    for number, status in (("PRO-201", "rejected"), ("PRO-202", "rejected")):
        stores[0].update_record("proposals", proposal(stores[0], number)["id"], {"status": status})
    result = execute(agent, "proposal_pipeline", {}, ctx).result
    assert (result["win_rate"], result["open_value"]) == (33.3, 0.0)
    assert result["summary"] == "$0.00 open; win rate 33.3% (1 of 3 decided)"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"status": "sent"}, {"PRO-201"}),
        ({"open_only": True}, {"PRO-201", "PRO-202"}),
        ({"search": "kitchen"}, {"PRO-201"}),
        ({"search": "pro-19"}, {"PRO-198"}),
        ({"search": "Priya"}, {"PRO-202"}),
    ],
)
def test_list_filters(ctx, args, expected):
    rows = execute(agent, "list_proposals", args, ctx).result["proposals"]
    assert {p["proposal_number"] for p in rows} == expected


def test_delete_waits_for_confirmation(ctx, stores):
    draft = proposal(stores[0], "PRO-202")
    outcome = execute(agent, "delete_proposal", {"id": draft["id"]}, ctx)
    assert outcome.status == "pending_confirmation"
    assert outcome.action["summary"] == "Delete proposal PRO-202 “Whole-house interior”"
    assert stores[0].get_record("proposals", draft["id"]) == draft


ITEM = [{"description": "Walls", "unit_price": 100}]


@pytest.mark.parametrize(
    ("tool", "args"),
    [
        ("create_proposal", {"client_name": "A", "line_items": ITEM}),
        ("create_proposal", {"title": "T", "line_items": ITEM}),
        ("create_proposal", {"title": "T", "client_name": "A"}),
        ("create_proposal", {"title": "x" * 201, "client_name": "A", "line_items": ITEM}),
        (
            "create_proposal",
            {"title": "T", "client_name": "A", "line_items": ITEM, "status": "won"},
        ),
        (
            "create_proposal",
            {
                "title": "T",
                "client_name": "A",
                "line_items": [{"description": "W", "unit_price": 1, "quantity": 0}],
            },
        ),
        (
            "create_proposal",
            {"title": "T", "client_name": "A", "line_items": ITEM, "client_email": "not-an-email"},
        ),
        (
            "create_proposal",
            {"title": "T", "client_name": "A", "line_items": ITEM, "user_id": USER_B},
        ),
        ("list_proposals", {"status": "pending"}),
        ("proposal_totals", {}),
        ("proposal_pipeline", {"user_id": USER_A}),
    ],
)
def test_bad_input_is_refused(ctx, stores, tool, args):
    outcome = execute(agent, tool, args, ctx)
    assert refused(outcome) and outcome.result["error"] == "Invalid input"
    assert stores[0].count_records("proposals") == 3


def test_another_users_proposals_are_out_of_reach(ctx, stores):
    theirs = proposal(stores[1], "PRO-201")
    listed = execute(agent, "list_proposals", {"limit": 100}, ctx).result["proposals"]
    assert {row["user_id"] for row in listed} == {USER_A}
    for tool, extra in [
        ("get_proposal", {}),
        ("proposal_totals", {}),
        ("update_proposal", {"status": "accepted"}),
        ("delete_proposal", {}),
    ]:
        outcome = execute(agent, tool, {"id": theirs["id"], **extra}, ctx)
        assert refused(outcome) and "was found" in outcome.result["error"], tool
    assert stores[1].get_record("proposals", theirs["id"]) == theirs
    assert execute(agent, "proposal_pipeline", {}, ctx).result["total"] == 3


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
