"""The offline development model drives the invoices agent: its rules read the user's words
into tool calls on the real store, and its templated answers read the results. These are
the development model's own tests; the invoices agent's are in test_domain_invoices.py."""

from __future__ import annotations

import pytest

from canvalo_app.agents.domains.invoices import agent
from tests.agent_helpers import agent_types, chat, invoice, tool_calls
from tests.conftest import BOTH_STORES
from tests.devmodel_helpers import drive, first_calls


# Offline rules ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "name", "args"),
    [
        ("which invoices are overdue?", "overdue_summary", {}),
        ("how much am I owed?", "invoice_totals", {}),
        (
            "how much does Henderson owe?",
            "list_invoices",
            {"limit": 10, "search": "Henderson", "open_only": True},
        ),
        ("show my unpaid invoices", "list_invoices", {"limit": 10, "open_only": True}),
        ("show my draft invoices", "list_invoices", {"limit": 10, "status": "draft"}),
        ("show INV-1004", "list_invoices", {"limit": 10, "search": "INV-1004"}),
        (
            "create an invoice for Nina Brooks for $1,250 for trim painting",
            "create_invoice",
            {
                "client_name": "Nina Brooks",
                "line_items": [
                    {"description": "Trim painting", "quantity": 1, "unit_price": 1250.0}
                ],
            },
        ),
        (
            "invoice Grace Kim $300 for touch-ups due Dec 15 with 0% tax",
            "create_invoice",
            {
                "client_name": "Grace Kim",
                "due_date": "2026-12-15",
                "tax_rate": 0.0,
                "line_items": [{"description": "Touch-ups", "quantity": 1, "unit_price": 300.0}],
            },
        ),
        (
            "record a $500 payment on INV-1003",
            "list_invoices",
            {"limit": 5, "search": "INV-1003", "open_only": True},
        ),
        (
            "mark the Henderson invoice paid",
            "list_invoices",
            {"limit": 5, "search": "Henderson", "open_only": True},
        ),
        ("delete the Henderson invoice", "list_invoices", {"limit": 5, "search": "Henderson"}),
        (
            "invoice the Smith project and schedule the final walk-through",
            "invoice_project",
            {"project": "Smith"},
        ),
        ("how much revenue did I collect this month?", "revenue_report", {"period": "this_month"}),
        ("revenue last quarter", "revenue_report", {"period": "last_quarter"}),
        (
            "what did I invoice in October?",
            "revenue_report",
            {"start": "2026-10-01", "end": "2026-10-31"},
        ),
        ("how much have I collected?", "invoice_totals", {}),
        ("show payments received last month", "list_payments", {"period": "last_month"}),
        ("show the payments on INV-1001", "list_invoices", {"limit": 5, "search": "INV-1001"}),
        ("send INV-1003", "list_invoices", {"limit": 5, "search": "INV-1003"}),
        (
            "Mark INV-1002 paid by check",
            "list_invoices",
            {"limit": 5, "search": "INV-1002", "open_only": True},
        ),
    ],
)
def test_rules_first_call(text, name, args):
    assert [(c.name, c.input) for c in first_calls(agent, text)] == [(name, args)]


def test_rules_overdue_invoices(ctx):
    steps, reply = drive(agent, "which invoices are overdue?", ctx)
    assert [s.name for s in steps] == ["overdue_summary"]
    assert reply == (
        "You have 2 overdue invoices totalling $5,099.00:\n"
        "- INV-1002, Tom Henderson: $3,424.00 owed, 10 days overdue\n"
        "- INV-1003, Dan Smith: $1,675.00 owed, 5 days overdue"
    )


def test_rules_how_much_am_i_owed(ctx):
    _, reply = drive(agent, "how much am I owed?", ctx)
    assert reply.startswith("You're owed $6,543.50 across 4 invoices, $5,099.00 of it overdue.")
    _, reply = drive(agent, "how much does Henderson owe?", ctx)
    assert reply.startswith("Henderson owes you $3,424.00 on 1 invoice:\n- INV-1002")


def test_rules_create_an_invoice(ctx, stores):
    text = "create an invoice for Nina Brooks for $1,250 for trim painting"
    steps, reply = drive(agent, text, ctx)
    created = invoice(stores[0], "INV-1007")
    assert created["line_items"][0]["description"] == "Trim painting"
    assert reply == (
        "I created draft invoice INV-1007 for Nina Brooks: Trim painting $1,250.00, tax $87.50 "
        "(7%), total $1,337.50, due Wednesday, December 23, 2026. It hasn't been sent."
    )
    steps, reply = drive(agent, "create an invoice for Priya", ctx)
    assert steps == [] and reply == "How much should the invoice for Priya be, and for what work?"


def test_rules_record_a_payment(ctx, stores):
    steps, reply = drive(agent, "record a $500 payment on INV-1003", ctx)
    assert [s.name for s in steps] == ["list_invoices", "record_payment"]
    assert steps[1].input == {"invoice_id": invoice(stores[0], "INV-1003")["id"], "amount": 500.0}
    assert invoice(stores[0], "INV-1003")["amount_paid"] == 1500.0
    assert (
        reply == "I recorded a $500.00 payment on INV-1003 for Dan Smith. $1,175.00 is still owed."
    )
    _, reply = drive(agent, "record a $5,000 payment on INV-1003", ctx)
    assert (
        reply == "I couldn't do that: $5,000.00 is more than the $1,175.00 still owed on INV-1003."
    )


def test_rules_mark_the_henderson_invoice_paid(ctx, stores):
    steps, reply = drive(agent, "mark the Henderson invoice paid", ctx)
    assert [(s.name, s.status) for s in steps] == [
        ("list_invoices", "ok"),
        ("mark_invoice_paid", "ok"),
    ]
    assert invoice(stores[0], "INV-1002")["status"] == "paid"
    assert (
        reply
        == "I recorded a $3,424.00 payment on INV-1002 for Tom Henderson. It's now paid in full."
    )


def test_rules_ask_which_invoice_or_say_none_matched(ctx, stores):
    steps, reply = drive(agent, "mark the invoice paid", ctx)
    assert [s.name for s in steps] == ["list_invoices"]
    assert reply == (
        "I found 4 open invoices: INV-1004 for Maria Lopez ($1,284.00 owed, sent); INV-1006 for "
        "Priya Shah ($160.50 owed, viewed); INV-1003 for Dan Smith ($1,675.00 owed, partial); "
        "INV-1002 for Tom Henderson ($3,424.00 owed, overdue). Which one did you mean?"
    )
    steps, reply = drive(agent, "mark the Zed invoice paid", ctx)
    assert reply == "I couldn't find any open invoice matching “Zed”."
    assert [i["status"] for i in stores[0].list_records("invoices") if i["status"] == "paid"] == [
        "paid"
    ]


def test_rules_delete_waits_for_confirmation(ctx, stores):
    steps, reply = drive(agent, "delete the Henderson invoice", ctx)
    assert [(s.name, s.status) for s in steps] == [
        ("list_invoices", "ok"),
        ("delete_invoice", "pending_confirmation"),
    ]
    assert reply == (
        "I've asked you to confirm: Delete invoice INV-1002 for Tom Henderson. "
        "Nothing changes until you confirm it in the app."
    )
    assert invoice(stores[0], "INV-1002")["status"] == "overdue"


def test_rules_invoice_a_project(ctx, stores):
    steps, reply = drive(
        agent, "invoice the Smith project and schedule the final walk-through", ctx
    )
    assert [s.name for s in steps] == ["invoice_project"]
    assert invoice(stores[0], "INV-1007")["total_amount"] == 6420.0  # $6,000 left, with tax
    assert reply.startswith("I drafted invoice INV-1007 to Dan Smith for the project “Smith Dental")
    stores[0].create_record("projects", {"name": "Garage doors", "client_name": "Ivy Chen"})
    drive(agent, "invoice the Garage project for $900", ctx)
    reply = drive(agent, "invoice the Garage project for $100", ctx)[1]
    assert "The project had $900.00 invoiced already (INV-1008)." in reply


# End to end -------------------------------------------------------------------------------
def test_chat_overdue_invoices(client, users, live):
    evts, reply = chat(client, users, "which invoices are overdue?")
    assert agent_types(evts) == ["invoices"] and tool_calls(evts) == ["overdue_summary"]
    assert "INV-1002, Tom Henderson: $3,424.00 owed" in reply
    assert "INV-1003, Dan Smith: $1,675.00 owed" in reply and "INV-1004" not in reply
    assert evts[-1]["type"] == "complete"


def test_chat_records_a_payment(client, users, live):
    evts, reply = chat(client, users, "record a $500 payment on INV-1003")
    assert agent_types(evts) == ["invoices"]
    assert tool_calls(evts) == ["list_invoices", "record_payment"]
    assert invoice(live, "INV-1003")["amount_paid"] == 1500.0
    assert "$1,175.00 is still owed" in reply


def test_chat_delete_asks_for_confirmation_and_changes_nothing(client, users, live):
    before = invoice(live, "INV-1002")
    evts, reply = chat(client, users, "delete the Henderson invoice")
    assert tool_calls(evts) == ["list_invoices", "delete_invoice"]
    [confirm] = [e for e in evts if e["type"] == "confirmation_required"]
    assert confirm["summary"] == "Delete invoice INV-1002 for Tom Henderson"
    assert "Nothing changes until you confirm it in the app." in reply
    assert invoice(live, "INV-1002") == before


def test_chat_invoice_a_project_and_book_its_walk_through(client, users, live):
    evts, reply = chat(
        client, users, "invoice the Smith project and schedule the final walk-through"
    )
    assert agent_types(evts) == ["invoices", "appointments"]
    assert tool_calls(evts) == ["invoice_project", "suggest_free_slots"]
    assert invoice(live, "INV-1007")["client_name"] == "Dan Smith"
    assert "I drafted invoice INV-1007 to Dan Smith" in reply
    assert "What day and time should I book the final walk-through with Smith for?" in reply


def test_rules_mark_paid_by_check(ctx, stores):
    steps, reply = drive(agent, "Mark INV-1002 paid by check", ctx)
    assert [s.name for s in steps] == ["list_invoices", "mark_invoice_paid"]
    assert steps[1].input["method"] == "check"
    [paid] = [
        p
        for p in stores[0].list_records("payments")
        if p["method"] == "check" and p["amount"] == 3424.0
    ]
    assert (
        paid["invoice_id"] == invoice(stores[0], "INV-1002")["id"]
        and paid["paid_on"] == "2026-11-23"
    )
    assert reply == (
        "I recorded a $3,424.00 payment by check on INV-1002 for Tom Henderson. "
        "It's now paid in full."
    )


def test_rules_invoice_the_henderson_project_bills_what_is_left(ctx, stores):
    _, reply = drive(agent, "invoice the Henderson project", ctx)
    drafted = invoice(stores[0], "INV-1007")
    budget = next(
        p["budget"] for p in stores[0].list_records("projects") if "Henderson" in p["name"]
    )
    assert drafted["subtotal"] == budget - invoice(stores[0], "INV-1002")["subtotal"] == 8800.0
    assert "$8,800.00 plus $616.00 tax" in reply
    assert "The $12,000.00 budget had $3,200.00 invoiced already (INV-1002)." in reply


def test_rules_send_an_invoice(ctx, stores):
    steps, reply = drive(agent, "send INV-1005", ctx)
    assert [(s.name, s.status) for s in steps][-1] == ("send_invoice", "pending_confirmation")
    assert reply.startswith("I've asked you to confirm: Send invoice INV-1005 for Nina Brooks")
    assert invoice(stores[0], "INV-1005")["status"] == "draft"
    _, reply = drive(agent, "send INV-1003", ctx)
    assert (
        reply == "I couldn't do that: INV-1003 is partial, not a draft; only a draft can be sent."
    )


def test_rules_revenue_by_month_and_payments(ctx, stores):
    _, reply = drive(agent, "revenue this quarter", ctx)
    assert reply.startswith(
        "In Q4 2026 you invoiced $10,218.50 (5 invoices) and collected $3,675.00 (2 payments)."
    )
    assert "\n- Oct 2026: $8,774.00 invoiced, $3,675.00 collected\n- Nov 2026: $1,444.50" in reply
    _, reply = drive(agent, "show the payments on INV-1001", ctx)
    assert reply == (
        "You received 1 payment totalling $2,675.00 (all time):\n"
        "- Friday, October 30, 2026: $2,675.00 by check on INV-1001"
    )


@BOTH_STORES
def test_chat_paid_by_check_then_revenue_this_month(client, users, live):
    evts, reply = chat(client, users, "Mark INV-1002 paid by check")
    assert tool_calls(evts) == ["list_invoices", "mark_invoice_paid"]
    assert "payment by check on INV-1002" in reply
    evts, reply = chat(client, users, "how much revenue did I collect this month?")
    assert agent_types(evts) == ["invoices"] and tool_calls(evts) == ["revenue_report"]
    [stat] = [e for e in evts if e["type"] == "stat_data" and e["title"] == "Revenue collected"]
    start, end = stat["period"]["start"], stat["period"]["end"]
    paid = [p["amount"] for p in live.list_records("payments") if start <= p["paid_on"] <= end]
    assert 3424.0 in paid and f"collected ${sum(paid):,.2f} ({len(paid)} payment" in reply


@BOTH_STORES
def test_chat_invoice_the_henderson_project_and_send_it(client, users, live):
    evts, reply = chat(client, users, "invoice the Henderson project")
    assert tool_calls(evts) == ["invoice_project"]
    assert invoice(live, "INV-1007")["subtotal"] == 12000.0 - invoice(live, "INV-1002")["subtotal"]
    evts, reply = chat(client, users, "send INV-1007")
    assert tool_calls(evts) == ["list_invoices", "send_invoice"]
    [confirm] = [e for e in evts if e["type"] == "confirmation_required"]
    assert confirm["summary"].startswith("Send invoice INV-1007 for Tom Henderson")
    assert invoice(live, "INV-1007")["status"] == "draft"
