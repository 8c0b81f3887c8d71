"""The invoices agent: its tools on the real store. The offline model's rules for it, and chats
it answers end to end, are tested in test_devmodel_invoices.py."""

from __future__ import annotations

import pytest

from canvalo_app.agents.domains.invoices import agent
from canvalo_app.agents.tools import execute, run_confirmed
from canvalo_app.agents.zone import shown
from tests.agent_helpers import invoice, refused
from tests.conftest import USER_A, USER_B

LINE = [{"description": "a", "unit_price": 1}]


def numbers(rows: list[dict]) -> list[str]:
    return sorted(row["invoice_number"] for row in rows)


# Tools ------------------------------------------------------------------------------------
def test_overdue_summary_is_exact(ctx):
    outcome = execute(agent, "overdue_summary", {}, ctx)
    rows = outcome.result["invoices"]
    assert [
        (r["invoice_number"], r["client_name"], r["balance"], r["days_overdue"]) for r in rows
    ] == [
        ("INV-1002", "Tom Henderson", 3424.0, 10),
        ("INV-1003", "Dan Smith", 1675.0, 5),
    ]
    assert (outcome.result["count"], outcome.result["total_overdue"]) == (2, 5099.0)
    assert outcome.result["oldest"]["invoice_number"] == "INV-1002"
    assert outcome.summary == "2 overdue, $5,099.00 outstanding; oldest INV-1002"


def test_past_due_sent_invoices_are_overdue_but_drafts_are_not(ctx, stores):
    for number in ("INV-1004", "INV-1005"):  # sent, draft
        stores[0].update_record(
            "invoices", invoice(stores[0], number)["id"], {"due_date": "2026-11-20"}
        )
    result = execute(agent, "overdue_summary", {}, ctx).result
    assert [r["invoice_number"] for r in result["invoices"]] == ["INV-1002", "INV-1003", "INV-1004"]
    listed = execute(agent, "list_invoices", {"overdue_only": True}, ctx).result["invoices"]
    assert numbers(listed) == ["INV-1002", "INV-1003", "INV-1004"]


def test_invoice_totals_are_exact(ctx):
    result = execute(agent, "invoice_totals", {}, ctx).result
    assert result["outstanding"] == 6543.5  # 3424 + 1675 + 1284 + 160.50
    assert (result["open_count"], result["overdue"], result["collected"]) == (4, 5099.0, 3675.0)
    assert result["draft_total"] == 417.3
    assert result["by_status"]["paid"] == {"count": 1, "total": 2675.0}
    assert result["by_status"]["cancelled"] == {"count": 1, "total": 535.0}
    assert result["summary"] == (
        "$6,543.50 outstanding on 4 invoices ($5,099.00 overdue); $3,675.00 collected"
    )
    [by_status] = result["stat_data"]
    assert (by_status["title"], by_status["kind"]) == ("Invoices by status", "breakdown")
    assert {v["label"]: v["value"] for v in by_status["values"]} == {
        status: entry["total"] for status, entry in result["by_status"].items() if entry["count"]
    }


def test_create_computes_totals_number_and_dates(ctx, stores):
    outcome = execute(
        agent,
        "create_invoice",
        {
            "client_name": "Nina Brooks",
            "line_items": [
                {"description": "Trim", "quantity": 3, "unit_price": 250},
                {"description": "Doors", "unit_price": 500.5},
            ],
            "discount_amount": 50,
        },
        ctx,
    )
    created = outcome.result["invoice"]
    assert outcome.summary == "Created invoice INV-1007 for Nina Brooks"
    assert [item["amount"] for item in created["line_items"]] == [750.0, 500.5]
    assert (created["subtotal"], created["tax_rate"], created["tax_amount"]) == (1250.5, 7.0, 84.03)
    assert (created["total_amount"], created["amount_paid"], created["status"]) == (
        1284.53,
        0,
        "draft",
    )
    assert (created["issue_date"], created["due_date"]) == ("2026-11-23", "2026-12-23")
    # The row as stored, its times shown in the business's zone as results show them.
    assert shown(stores[0].get_record("invoices", created["id"]), ctx.zone) == created
    untaxed = execute(
        agent,
        "create_invoice",
        {
            "client_name": "Grace Kim",
            "tax_rate": 0,
            "due_date": "2026-12-01",
            "line_items": [{"description": "Touch-up", "unit_price": 100}],
        },
        ctx,
    ).result["invoice"]
    assert (untaxed["invoice_number"], untaxed["total_amount"], untaxed["due_date"]) == (
        "INV-1008",
        100.0,
        "2026-12-01",
    )


def test_update_recomputes_totals_and_guards_payments(ctx, stores):
    draft = invoice(stores[0], "INV-1005")
    lines = [{"description": "Touch-up", "quantity": 10, "unit_price": 65}]
    updated = execute(agent, "update_invoice", {"id": draft["id"], "line_items": lines}, ctx)
    assert (updated.result["invoice"]["subtotal"], updated.result["invoice"]["total_amount"]) == (
        650.0,
        695.5,
    )
    partial = invoice(stores[0], "INV-1003")  # $1,000 already paid
    cheap = [{"description": "Deposit", "unit_price": 100}]
    for args, error in [
        ({"line_items": cheap}, "The new total would be less than what has already been paid."),
        ({"due_date": "2026-01-01"}, "The due date must not be before the issue date."),
    ]:
        outcome = execute(agent, "update_invoice", {"id": partial["id"], **args}, ctx)
        assert refused(outcome) and outcome.result["error"] == error
    paid = invoice(stores[0], "INV-1001")
    assert refused(execute(agent, "update_invoice", {"id": paid["id"], "status": "sent"}, ctx))
    marked = execute(agent, "update_invoice", {"id": partial["id"], "status": "paid"}, ctx)
    assert refused(marked) and "record_payment" in str(marked.result)
    assert stores[0].get_record("invoices", partial["id"]) == partial
    assert stores[0].get_record("invoices", paid["id"]) == paid


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"status": "draft"}, ["INV-1005"]),
        ({"search": "henderson"}, ["INV-1002"]),
        (
            {"search": "inv-100"},
            ["INV-1001", "INV-1002", "INV-1003", "INV-1004", "INV-1005", "INV-1006"],
        ),
        ({"open_only": True}, ["INV-1002", "INV-1003", "INV-1004", "INV-1006"]),
        ({"overdue_only": True}, ["INV-1002", "INV-1003"]),
        ({"due_before": "2026-11-13"}, ["INV-0999", "INV-1001", "INV-1002"]),
        ({"due_after": "2026-12-21"}, ["INV-1004", "INV-1005"]),
        ({"search": "50% off_"}, []),
    ],
)
def test_list_filters(ctx, args, expected):
    assert numbers(execute(agent, "list_invoices", args, ctx).result["invoices"]) == expected


def test_cancel_waits_for_confirmation_then_cancels(ctx, stores):
    draft = invoice(stores[0], "INV-1005")
    outcome = execute(agent, "cancel_invoice", {"id": draft["id"]}, ctx)
    assert outcome.status == "pending_confirmation"
    assert outcome.action["summary"] == "Cancel invoice INV-1005 for Nina Brooks ($417.30 owed)"
    assert stores[0].get_record("invoices", draft["id"]) == draft
    run_confirmed(agent, stores[0].get_action(outcome.action["id"]), ctx)
    assert stores[0].get_record("invoices", draft["id"])["status"] == "cancelled"
    again = execute(agent, "cancel_invoice", {"id": draft["id"]}, ctx)
    assert again.result["error"] == "INV-1005 is cancelled; it can't be cancelled."


def test_invoice_totals_collected_is_the_payments_received(ctx, stores):
    """Money recorded on an invoice cancelled before that was refused still came in."""
    store, old = stores[0], invoice(stores[0], "INV-0999")
    store.update_record("invoices", old["id"], {"amount_paid": 100.0})
    store.create_record(
        "payments", {"invoice_id": old["id"], "amount": 1e2, "paid_on": "2026-08-25"}
    )
    totals = execute(agent, "invoice_totals", {}, ctx).result
    revenue = execute(agent, "revenue_report", {"period": "all_time"}, ctx).result
    assert totals["collected"] == revenue["collected"] == 3775.0


def test_delete_waits_for_confirmation(ctx, stores):
    henderson = invoice(stores[0], "INV-1002")
    outcome = execute(agent, "delete_invoice", {"id": henderson["id"]}, ctx)
    assert outcome.status == "pending_confirmation"
    assert stores[0].get_action(outcome.action["id"])["status"] == "pending"
    assert stores[0].get_record("invoices", henderson["id"]) == henderson


def test_send_invoice_waits_for_confirmation_then_marks_it_sent(ctx, stores):
    draft = invoice(stores[0], "INV-1005")
    outcome = execute(agent, "send_invoice", {"id": draft["id"]}, ctx)
    assert outcome.status == "pending_confirmation"
    assert outcome.action["summary"] == (
        "Send invoice INV-1005 for Nina Brooks ($417.30) and mark it sent"
    )
    assert stores[0].get_record("invoices", draft["id"]) == draft
    result = run_confirmed(agent, stores[0].get_action(outcome.action["id"]), ctx)
    row = stores[0].get_record("invoices", draft["id"])
    assert row["status"] == "sent" and row["sent_at"] and draft["sent_at"] is None
    assert result["summary"] == "Sent invoice INV-1005 for Nina Brooks, due 2026-12-23"
    for number in ("INV-1005", "INV-1003"):
        refusal = execute(agent, "send_invoice", {"id": invoice(stores[0], number)["id"]}, ctx)
        assert refused(refusal) and "only a draft can be sent" in refusal.result["error"]
    sent = {
        "client_name": "A",
        "status": "sent",
        "line_items": [{"description": "a", "unit_price": 1}],
    }
    assert "send_invoice" in str(execute(agent, "create_invoice", sent, ctx).result["fields"])


def test_a_draft_sent_today_is_invoiced_today(ctx, stores):
    """Drafted in October, sent on 23 November: November's revenue, due 30 days later."""
    draft = invoice(stores[0], "INV-1005")  # $417.30
    dates = {"issue_date": "2026-10-05", "due_date": "2026-10-20"}
    stores[0].update_record("invoices", draft["id"], dates)
    months = ({"start": "2026-10-01", "end": "2026-10-31"}, {"start": "2026-11-01"})

    def invoiced() -> list[float]:
        return [execute(agent, "revenue_report", m, ctx).result["invoiced"] for m in months]

    assert invoiced() == [8774.0, 1444.5]
    pending = execute(agent, "send_invoice", {"id": draft["id"]}, ctx)
    run_confirmed(agent, stores[0].get_action(pending.action["id"]), ctx)
    row = stores[0].get_record("invoices", draft["id"])
    assert (row["issue_date"], row["due_date"]) == ("2026-11-23", "2026-12-23")
    assert invoiced() == [8774.0, 1861.8]


@pytest.mark.parametrize(
    ("tool", "args"),
    [
        ("create_invoice", {"client_name": "A"}),
        ("create_invoice", {"client_name": "A", "line_items": []}),
        ("create_invoice", {"client_name": "x" * 201, "line_items": LINE}),
        (
            "create_invoice",
            {"client_name": "A", "line_items": [{"description": "a", "unit_price": -1}]},
        ),
        (
            "create_invoice",
            {"client_name": "A", "line_items": [{"description": "a", "unit_price": "lots"}]},
        ),
        (
            "create_invoice",
            {
                "client_name": "A",
                "line_items": [{"description": "a", "unit_price": 1, "amount": 9}],
            },
        ),
        ("create_invoice", {"client_name": "A", "status": "paid", "line_items": LINE}),
        ("create_invoice", {"client_name": "A", "tax_rate": 101, "line_items": LINE}),
        ("create_invoice", {"client_name": "A", "user_id": USER_B, "line_items": LINE}),
        ("list_invoices", {"status": "unpaid"}),
        ("list_invoices", {"limit": 0}),
        ("list_invoices", {"user_id": USER_A}),
        ("record_payment", {"invoice_id": "not-a-uuid", "amount": 5}),
        ("record_payment", {"amount": 5}),
        ("mark_invoice_paid", {"invoice_id": "6a1d4d7c-6a55-4c3a-9a3a-2b7d5d0a0c11", "amount": 0}),
        ("overdue_summary", {"user_id": USER_B}),
        ("invoice_project", {"project": ""}),
        ("update_invoice", {"status": "sent"}),
    ],
)
def test_bad_input_is_refused(ctx, stores, tool, args):
    outcome = execute(agent, tool, args, ctx)
    assert refused(outcome) and outcome.result["error"] == "Invalid input"
    assert stores[0].count_records("invoices") == 7


def test_another_users_invoices_are_out_of_reach(ctx, stores):
    theirs = invoice(stores[1], "INV-1004")
    listed = execute(agent, "list_invoices", {"limit": 100}, ctx).result["invoices"]
    assert {row["user_id"] for row in listed} == {USER_A}
    for tool, args in [
        ("get_invoice", {"id": theirs["id"]}),
        ("update_invoice", {"id": theirs["id"], "client_name": "Hijacked"}),
        ("delete_invoice", {"id": theirs["id"]}),
        ("cancel_invoice", {"id": theirs["id"]}),
        ("record_payment", {"invoice_id": theirs["id"], "amount": 5}),
        ("mark_invoice_paid", {"invoice_id": theirs["id"]}),
    ]:
        outcome = execute(agent, tool, args, ctx)
        assert refused(outcome) and "was found" in outcome.result["error"], tool
    assert stores[1].get_record("invoices", theirs["id"]) == theirs
    assert execute(agent, "invoice_totals", {}, ctx).result["open_count"] == 4
