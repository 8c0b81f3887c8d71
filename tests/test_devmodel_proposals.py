"""The offline development model drives the proposals agent: its rules read the user's words
into tool calls on the real store, and its templated answers read the results. These are
the development model's own tests; the proposals agent's are in test_domain_proposals.py."""

from __future__ import annotations

import pytest

from canvalo_app.agents.domains.proposals import agent
from tests.agent_helpers import agent_types, chat, confirmation, contact, proposal, tool_calls
from tests.conftest import BOTH_STORES
from tests.devmodel_helpers import drive, first_calls
from tests.helpers import answer_of, send, stream_events

ROOMS = "create a proposal for 3 rooms, $450 each for Maria Lopez"


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
        (
            ROOMS,
            "create_proposal",
            {
                "client_name": "Maria Lopez",
                "title": "Rooms",
                "line_items": [{"description": "Rooms", "quantity": 3, "unit_price": 450}],
            },
        ),
        (
            "quote Tom Henderson 2 doors at $85 each plus trim for $300",
            "create_proposal",
            {
                "client_name": "Tom Henderson",
                "title": "Doors and trim",
                "line_items": [
                    {"description": "Doors", "quantity": 2, "unit_price": 85},
                    {"description": "Trim", "quantity": 1, "unit_price": 300},
                ],
            },
        ),
        (
            "new estimate for Dan Smith: three offices at $1,200 each, 2 hallways $350 each",
            "create_proposal",
            {
                "client_name": "Dan Smith",
                "title": "Offices and hallways",
                "line_items": [
                    {"description": "Offices", "quantity": 3, "unit_price": 1200},
                    {"description": "Hallways", "quantity": 2, "unit_price": 350},
                ],
            },
        ),
        (
            "create a proposal for Dan Smith for 3 offices for $3,000",
            "create_proposal",
            {
                "client_name": "Dan Smith",
                "title": "3 offices",
                "line_items": [{"description": "3 offices", "quantity": 1, "unit_price": 3000}],
            },
        ),
        (
            "draft an estimate for Maria Lopez",
            "create_proposal",
            {"client_name": "Maria Lopez", "title": "Painting work"},
        ),
        ("send the proposal", "list_proposals", {"limit": 5, "status": "draft"}),
        ("mark PRO-202 sent", "list_proposals", {"limit": 5, "search": "PRO-202"}),
        ("email the quote to Priya Shah", "list_proposals", {"limit": 5, "search": "Priya Shah"}),
        ("show my estimates", "list_proposals", {"limit": 20}),
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
        "I drafted proposal PRO-203 “Fence staining” for Grace Kim: Fence staining $1,800.00. "
        "That's $1,800.00 plus $126.00 tax, total $1,926.00, valid until Wednesday, December "
        "23, 2026. Shall I send it to Grace Kim, or keep it as a draft?"
    )


@BOTH_STORES
def test_rules_ask_which_contact_when_several_match(ctx, stores):
    stores[0].create_record("contacts", {"first_name": "Sara", "last_name": "Henderson"})
    steps, reply = drive(agent, "draft an estimate for the Hendersons", ctx)
    assert [(s.name, s.status) for s in steps] == [("create_proposal", "error")]
    assert reply == (
        "I didn't create it: Several contacts match “Hendersons”: Tom Henderson, Sara "
        "Henderson. Which one?"
    )
    assert stores[0].count_records("proposals") == 3


def test_rules_price_lines_by_the_count(ctx, stores):
    _, reply = drive(agent, "quote Tom Henderson 2 doors at $85 each plus trim for $300", ctx)
    subtotal = 2 * 85 + 300
    tax = round(subtotal * 0.07, 2)
    assert proposal(stores[0], "PRO-203")["total_amount"] == subtotal + tax == 502.9
    assert reply.startswith(
        "I drafted proposal PRO-203 “Doors and trim” for Tom Henderson: Doors 2 × $85.00; Trim "
        "$300.00. That's $470.00 plus $32.90 tax, total $502.90"
    )


def test_rules_add_lines_to_a_draft_and_keep_it(ctx, stores):
    steps, reply = drive(agent, "draft an estimate for Maria Lopez", ctx)
    assert reply == (
        "I drafted proposal PRO-203 “Painting work” for Maria Lopez, valid until Wednesday, "
        "December 23, 2026. It has no priced lines yet: tell me the work and prices, for "
        "example “add 3 rooms at $450 each to PRO-203”."
    )
    _, reply = drive(agent, "add 3 rooms at $450 each to PRO-203", ctx)
    assert proposal(stores[0], "PRO-203")["total_amount"] == round(3 * 450 * 1.07, 2)
    assert reply == "PRO-203 “Painting work” now comes to $1,444.50 with tax."
    _, reply = drive(agent, "keep PRO-203 as a draft", ctx)
    assert reply == "PRO-203 stays a draft; nothing has been sent."


def test_rules_add_a_section_to_a_sectioned_proposal(ctx, stores):
    before = proposal(stores[0], "PRO-202")
    steps, reply = drive(agent, "add trim for $400 to PRO-202", ctx)
    after = proposal(stores[0], "PRO-202")
    assert [part["title"] for part in after["sections"]] == [
        *(part["title"] for part in before["sections"]),
        "Additional work",
    ]
    assert after["subtotal"] == before["subtotal"] + 400
    assert after["sections"][-1]["line_items"] == [
        {"description": "Trim", "quantity": 1, "unit_price": 400, "amount": 400}
    ]
    assert (
        reply
        == f"PRO-202 “Whole-house interior” now comes to ${after['total_amount']:,.2f} with tax."
    )


def test_rules_send_asks_to_confirm_and_refuses_a_sent_one(ctx, stores):
    steps, reply = drive(agent, "send the proposal", ctx)
    assert [(s.name, s.status) for s in steps] == [
        ("list_proposals", "ok"),
        ("send_proposal", "pending_confirmation"),
    ]
    assert reply == (
        "I've asked you to confirm: Send proposal PRO-202 “Whole-house interior” to Priya Shah "
        "(priya.shah@example.com): $5,895.70. Nothing changes until you confirm it in the app."
    )
    _, reply = drive(agent, "send PRO-201", ctx)
    assert reply == (
        "I couldn't do that: Only a draft can be sent, and proposal PRO-201 “Kitchen cabinet "
        "refinishing” is sent."
    )
    assert proposal(stores[0], "PRO-202")["status"] == "draft"


def test_rules_status_change(ctx, stores):
    steps, reply = drive(agent, "Maria Lopez rejected the proposal", ctx)
    assert steps[-1].input == {"id": proposal(stores[0], "PRO-201")["id"], "status": "rejected"}
    assert proposal(stores[0], "PRO-201")["status"] == "rejected"
    assert reply == "PRO-201 “Kitchen cabinet refinishing” is now rejected."


def test_rules_a_draft_is_not_rejected_before_it_is_sent(ctx, stores):
    steps, _ = drive(agent, "Priya Shah rejected the proposal", ctx)
    assert steps[-1].status == "error"
    assert proposal(stores[0], "PRO-202")["status"] == "draft"


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


@BOTH_STORES
def test_chat_creates_a_proposal_from_rooms_at_a_price_each(client, users, live):
    evts, reply = chat(client, users, ROOMS)
    assert agent_types(evts) == ["proposals"] and tool_calls(evts) == ["create_proposal"]
    created = proposal(live, "PRO-203")
    assert [(i["description"], i["quantity"], i["unit_price"]) for i in created["line_items"]] == [
        ("Rooms", 3, 450)
    ]
    tax = round(3 * 450 * 7 / 100, 2)
    assert (created["subtotal"], created["total_amount"]) == (1350, 3 * 450 + tax)
    assert created["contact_id"] == contact(live, "Maria")["id"]
    assert reply.endswith("Shall I send it to Maria Lopez, or keep it as a draft?")


@BOTH_STORES
def test_chat_drafts_an_estimate_for_a_contact(client, users, live):
    evts, reply = chat(client, users, "draft an estimate for Maria Lopez")
    assert agent_types(evts) == ["proposals"] and tool_calls(evts) == ["create_proposal"]
    maria, draft = contact(live, "Maria"), proposal(live, "PRO-203")
    assert (draft["client_name"], draft["contact_id"], draft["client_email"]) == (
        "Maria Lopez",
        maria["id"],
        maria["email"],
    )
    assert (draft["status"], draft["line_items"], draft["total_amount"]) == ("draft", [], 0)
    assert "It has no priced lines yet" in reply


@BOTH_STORES
def test_chat_send_the_proposal_waits_for_confirmation(client, users, live):
    evts, reply = chat(client, users, "send the proposal")
    assert tool_calls(evts) == ["list_proposals", "send_proposal"]
    pending = confirmation(evts)
    assert pending["summary"].startswith("Send proposal PRO-202 “Whole-house interior” to Priya")
    assert "Nothing changes until you confirm it in the app." in reply
    assert proposal(live, "PRO-202")["status"] == "draft"
    confirmed = client.post(f"/api/actions/{pending['action_id']}/confirm", headers=users.a)
    assert confirmed.status_code == 200 and confirmed.json["status"] == "confirmed"
    sent = proposal(live, "PRO-202")
    assert sent["status"] == "sent" and sent["sent_at"]


@BOTH_STORES
def test_chat_win_rate_sends_its_chart(client, users, live):
    evts, _ = chat(client, users, "how is my proposal pipeline?")
    charts = [e for e in evts if e["type"] == "stat_data"]
    assert [(c["tool_name"], c["kind"]) for c in charts] == [
        ("proposal_pipeline", "breakdown"),
        ("proposal_pipeline", "number"),
    ]
    value = {}
    for row in live.list_records("proposals"):
        value[row["status"]] = round(value.get(row["status"], 0) + row["total_amount"], 2)
    assert {v["label"]: v["value"] for v in charts[0]["values"] if v["value"]} == value


def test_chat_send_it_after_the_offer_sends_the_new_proposal(client, users, live):
    first = stream_events(send(client, users.a, ROOMS))
    assert answer_of(first).endswith("Shall I send it to Maria Lopez, or keep it as a draft?")
    again = stream_events(
        send(client, users.a, "send it", conversation_id=first[0]["conversation_id"])
    )
    assert confirmation(again)["summary"] == (
        f"Send proposal PRO-203 “Rooms” to Maria Lopez (maria.lopez@example.com): "
        f"${proposal(live, 'PRO-203')['total_amount']:,.2f}"
    )
