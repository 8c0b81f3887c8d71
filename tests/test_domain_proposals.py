"""The proposals agent: its tools on the real store. The offline model's rules for it, and
chats it answers end to end, are tested in test_devmodel_proposals.py."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from canvalo_app.agents.domains.invoices import agent as invoices_agent
from canvalo_app.agents.domains.proposals import agent
from canvalo_app.agents.tools import execute
from canvalo_app.agents.zone import shown
from tests.agent_helpers import invoice, proposal, refused, scripted_call
from tests.conftest import BOTH_STORES, USER_A, USER_B
from tests.helpers import assert_error


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
SECTION = [{"title": "Walls", "line_items": ITEM}]
PRO_ID = "00000000-0000-4000-8000-000000000203"


@pytest.mark.parametrize(
    ("tool", "args"),
    [
        ("create_proposal", {"client_name": "A", "line_items": ITEM}),
        ("create_proposal", {"title": "T", "line_items": ITEM}),
        ("create_proposal", {"title": "T", "client_name": "A", "line_items": []}),
        (
            "create_proposal",
            {"title": "T", "client_name": "A", "line_items": ITEM, "sections": SECTION},
        ),
        ("create_proposal", {"title": "T", "client_name": "A", "sections": []}),
        (
            "create_proposal",
            {"title": "T", "client_name": "A", "sections": [{"title": "S", "line_items": []}]},
        ),
        ("create_proposal", {"title": "T", "client_name": "A", "sections": [{"title": "S"}]}),
        (
            "create_proposal",
            {"title": "T", "client_name": "A", "line_items": ITEM, "status": "sent"},
        ),
        ("update_proposal", {"id": PRO_ID, "status": "sent"}),
        ("send_proposal", {}),
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


@BOTH_STORES
def test_pipeline_charts_value_by_status_and_the_win_rate(ctx, stores):
    result = execute(agent, "proposal_pipeline", {}, ctx).result
    value = {}
    for row in stores[0].list_records("proposals"):
        value[row["status"]] = round(value.get(row["status"], 0) + row["total_amount"], 2)
    by_value, rate = result["stat_data"]
    assert by_value["kind"] == "breakdown" and by_value["title"] == "Proposal value by status"
    charted = {v["label"]: v["value"] for v in by_value["values"] if v["value"]}
    assert charted == value
    assert (rate["kind"], rate["values"][0]["value"], rate["values"][0]["unit"]) == (
        "number",
        100.0,
        "percent",
    )


# Sending ------------------------------------------------------------------------------------
@BOTH_STORES
def test_send_waits_for_confirmation_then_marks_it_sent(app, client, users, live):
    draft = proposal(live, "PRO-202")
    event, result = scripted_call(app, client, users, "proposals", "send_proposal", id=draft["id"])
    assert event["status"] == "ok" and result["status"] == "awaiting_confirmation"
    assert result["summary"] == (
        "Send proposal PRO-202 “Whole-house interior” to Priya Shah (priya.shah@example.com): "
        f"${draft['total_amount']:,.2f}"
    )
    assert proposal(live, "PRO-202") == draft
    url = f"/api/actions/{result['action_id']}/confirm"
    assert_error(client.post(url, headers=users.b), 404, "ACTION_NOT_FOUND")
    before = datetime.now().astimezone()
    confirmed = client.post(url, headers=users.a)
    assert confirmed.status_code == 200 and confirmed.json["status"] == "confirmed"
    sent = proposal(live, "PRO-202")
    assert sent["status"] == "sent"
    assert (
        before - timedelta(seconds=5)
        <= datetime.fromisoformat(sent["sent_at"])
        <= datetime.now().astimezone()
    )
    assert_error(client.post(url, headers=users.a), 409, "ACTION_ALREADY_RESOLVED")


@BOTH_STORES
def test_only_a_priced_valid_draft_can_be_sent(app, client, users, live):
    sent = proposal(live, "PRO-201")
    event, result = scripted_call(app, client, users, "proposals", "send_proposal", id=sent["id"])
    assert event["status"] == "error"
    assert result["error"] == (
        "Only a draft can be sent, and proposal PRO-201 “Kitchen cabinet refinishing” is sent."
    )
    empty = live.create_record(
        "proposals", {"proposal_number": "PRO-300", "title": "Porch", "client_name": "Ann"}
    )
    _, result = scripted_call(app, client, users, "proposals", "send_proposal", id=empty["id"])
    assert (
        result["error"]
        == "proposal PRO-300 “Porch” has no priced lines yet; add them before sending."
    )
    old = proposal(live, "PRO-202")
    live.update_record("proposals", old["id"], {"valid_until": "2020-01-31"})
    _, result = scripted_call(app, client, users, "proposals", "send_proposal", id=old["id"])
    assert result["error"] == (
        "proposal PRO-202 “Whole-house interior” was valid only until Friday, January 31, "
        "2020; set a new valid_until before sending."
    )
    assert {p["status"] for p in live.list_records("proposals")} == {"sent", "draft", "accepted"}


@BOTH_STORES
def test_a_proposal_that_changed_before_the_confirmation_is_not_sent(app, client, users, live):
    draft = proposal(live, "PRO-202")
    _, result = scripted_call(app, client, users, "proposals", "send_proposal", id=draft["id"])
    live.update_record("proposals", draft["id"], {"status": "rejected"})
    url = f"/api/actions/{result['action_id']}/confirm"
    refusal = assert_error(client.post(url, headers=users.a), 409, "ACTION_FAILED")
    assert refusal["details"]["reason"] == {
        "code": "REFUSED",
        "message": "Only a draft can be sent, and proposal PRO-202 “Whole-house interior” is "
        "rejected.",
    }
    assert proposal(live, "PRO-202")["status"] == "rejected"


def test_sent_is_set_only_by_send_proposal(ctx, stores):
    draft = proposal(stores[0], "PRO-202")
    outcome = execute(agent, "update_proposal", {"id": draft["id"], "status": "sent"}, ctx)
    assert refused(outcome)
    assert "sent is set only by send_proposal" in outcome.result["fields"]["status"][0]


@BOTH_STORES
def test_acceptance_is_dated_and_kept_until_the_status_changes(ctx, stores):
    store, kitchen = stores[0], proposal(stores[0], "PRO-201")
    assert kitchen["accepted_at"] is None
    before = datetime.now().astimezone()
    execute(agent, "update_proposal", {"id": kitchen["id"], "status": "accepted"}, ctx)
    accepted_at = proposal(store, "PRO-201")["accepted_at"]
    assert before <= datetime.fromisoformat(accepted_at) <= datetime.now().astimezone()
    for change in ({"notes": "Second coat on the doors."}, {"status": "accepted"}):
        execute(agent, "update_proposal", {"id": kitchen["id"], **change}, ctx)
        assert proposal(store, "PRO-201")["accepted_at"] == accepted_at, change
    execute(agent, "update_proposal", {"id": kitchen["id"], "status": "rejected"}, ctx)
    assert proposal(store, "PRO-201")["accepted_at"] is None


@BOTH_STORES
@pytest.mark.parametrize("status", ["viewed", "accepted", "rejected"])
def test_only_send_proposal_takes_a_proposal_out_of_draft(ctx, stores, status):
    draft = proposal(stores[0], "PRO-202")
    refusal = f"A draft can't be {status} before it is sent: send it with send_proposal first."
    outcome = execute(agent, "update_proposal", {"id": draft["id"], "status": status}, ctx)
    assert refused(outcome) and outcome.result["error"] == refusal
    assert proposal(stores[0], "PRO-202") == draft
    new = {"title": "Fence", "client_name": "Grace Kim", "status": status}
    outcome = execute(agent, "create_proposal", new, ctx)
    assert refused(outcome) and outcome.result["error"] == refusal
    assert stores[0].count_records("proposals") == 3


@BOTH_STORES
@pytest.mark.parametrize("status", ["viewed", "overdue"])
def test_only_send_invoice_takes_an_invoice_out_of_draft(ctx, stores, status):
    draft = invoice(stores[0], "INV-1005")
    refusal = f"A draft can't be {status} before it is sent: send it with send_invoice first."
    outcome = execute(invoices_agent, "update_invoice", {"id": draft["id"], "status": status}, ctx)
    assert refused(outcome) and outcome.result["error"] == refusal
    assert invoice(stores[0], "INV-1005") == draft
    line = {"description": "Touch-up", "unit_price": 120}
    new = {"client_name": "Grace Kim", "line_items": [line], "status": status}
    outcome = execute(invoices_agent, "create_invoice", new, ctx)
    assert refused(outcome) and outcome.result["error"] == refusal
    assert stores[0].count_records("invoices") == 7
    sent = invoice(stores[0], "INV-1004")
    outcome = execute(invoices_agent, "update_invoice", {"id": sent["id"], "status": status}, ctx)
    assert outcome.status == "ok" and invoice(stores[0], "INV-1004")["status"] == status
