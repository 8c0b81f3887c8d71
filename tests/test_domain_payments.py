"""The invoices agent's money-in tools (domains/payments.py) on the real store: payments with
their method and day, the list of them, and revenue invoiced and collected over a period.
Figures are checked against sums worked out here from the stored rows."""

from __future__ import annotations

import pytest

from canvalo_app.agents.domains.invoices import agent
from canvalo_app.agents.tools import execute
from tests.agent_helpers import invoice, refused, scripted_call
from tests.conftest import BOTH_STORES, USER_B
from tests.helpers import send, stream_events
from tests.scripted_model import call, install, route, say


def payments_of(store, number: str) -> list[dict]:
    return [
        p for p in store.list_records("payments") if p["invoice_id"] == invoice(store, number)["id"]
    ]


def cents(values) -> float:
    return round(sum(values), 2)


def test_record_payment_then_mark_paid(ctx, stores):
    sent = invoice(stores[0], "INV-1004")  # $1,284.00
    args = {"invoice_id": sent["id"], "amount": 284, "date": "2026-11-20", "method": "cash"}
    outcome = execute(agent, "record_payment", args, ctx)
    assert outcome.summary == "Recorded $284.00 by cash on INV-1004; $1,000.00 still owed"
    row = stores[0].get_record("invoices", sent["id"])
    assert (row["amount_paid"], row["status"]) == (284.0, "partial")
    assert row["notes"] == "Payment of $284.00 received 2026-11-20."
    outcome = execute(agent, "mark_invoice_paid", {"invoice_id": sent["id"]}, ctx)
    assert outcome.result["amount"] == 1000.0 and outcome.result["balance"] == 0
    assert outcome.summary == "Recorded $1,000.00 on INV-1004; paid in full"
    row = stores[0].get_record("invoices", sent["id"])
    assert (row["amount_paid"], row["status"]) == (1284.0, "paid")
    assert row["notes"].endswith("Payment of $1,000.00 received 2026-11-23.")
    rows = sorted(payments_of(stores[0], "INV-1004"), key=lambda p: p["paid_on"])
    assert [(p["amount"], p["method"], p["paid_on"]) for p in rows] == [
        (284.0, "cash", "2026-11-20"),
        (1000.0, "other", "2026-11-23"),
    ]
    assert cents(p["amount"] for p in rows) == row["amount_paid"]


@pytest.mark.parametrize(
    ("number", "amount", "error"),
    [
        ("INV-1004", 1284.01, "$1,284.01 is more than the $1,284.00 still owed on INV-1004."),
        ("INV-0999", 10, "INV-0999 is cancelled; it takes no payments."),
        ("INV-1001", 10, "INV-1001 is already paid in full."),
    ],
)
def test_payments_that_cannot_be_taken_change_nothing(ctx, stores, number, amount, error):
    before, paid = invoice(stores[0], number), stores[0].list_records("payments")
    outcome = execute(agent, "record_payment", {"invoice_id": before["id"], "amount": amount}, ctx)
    assert refused(outcome) and outcome.result["error"] == error
    assert stores[0].get_record("invoices", before["id"]) == before
    assert stores[0].list_records("payments") == paid


@pytest.mark.parametrize(
    ("tool", "args"),
    [
        ("record_payment", {"amount": 5, "method": "bitcoin"}),
        ("mark_invoice_paid", {"method": "check", "notes": ""}),
        ("list_payments", {"period": "this_month", "start": "2026-11-01"}),
        ("list_payments", {"method": "iou"}),
        ("revenue_report", {"period": "next_week"}),
        ("revenue_report", {"start": "2026-11-02", "end": "2026-11-01"}),
    ],
)
def test_bad_input_is_refused(ctx, stores, tool, args):
    if tool in ("record_payment", "mark_invoice_paid"):
        args = {**args, "invoice_id": invoice(stores[0], "INV-1004")["id"]}
    outcome = execute(agent, tool, args, ctx)
    assert refused(outcome) and outcome.result["error"] == "Invalid input"
    assert stores[0].count_records("payments") == 2


def test_list_payments_by_invoice_method_and_period(ctx, stores):
    execute(agent, "mark_invoice_paid", {"invoice_id": invoice(stores[0], "INV-1006")["id"]}, ctx)
    rows = stores[0].list_records("payments")
    everything = execute(agent, "list_payments", {}, ctx).result
    assert everything["count"] == len(rows) == 3
    assert everything["total"] == cents(p["amount"] for p in rows)
    assert [p["paid_on"] for p in everything["payments"]] == sorted(
        (p["paid_on"] for p in rows), reverse=True
    )
    assert everything["payments"][-1]["invoice_number"] == "INV-1003"
    [by_method] = everything["stat_data"]
    assert {v["label"]: v["value"] for v in by_method["values"]} == {
        method: cents(p["amount"] for p in rows if p["method"] == method)
        for method in {p["method"] for p in rows}
    }
    one = execute(agent, "list_payments", {"invoice_id": invoice(stores[0], "INV-1001")["id"]}, ctx)
    assert [p["amount"] for p in one.result["payments"]] == [2675.0]
    checks = execute(agent, "list_payments", {"method": "check"}, ctx).result
    assert [p["invoice_number"] for p in checks["payments"]] == ["INV-1001"]
    november = execute(agent, "list_payments", {"period": "this_month"}, ctx).result
    assert [p["paid_on"] for p in november["payments"]] == [
        p["paid_on"] for p in rows if p["paid_on"].startswith("2026-11")
    ]
    theirs = invoice(stores[1], "INV-1001")["id"]
    assert refused(execute(agent, "list_payments", {"invoice_id": theirs}, ctx))


def test_revenue_report_over_a_quarter_by_month(ctx, stores):
    """Q4 2026 on 23 Nov: invoices issued (not drafts or cancelled) and payments received."""
    result = execute(agent, "revenue_report", {"period": "this_quarter"}, ctx).result
    issued = [
        i
        for i in stores[0].list_records("invoices")
        if "2026-10-01" <= i["issue_date"] <= "2026-12-31"
        and i["status"] not in ("draft", "cancelled")
    ]
    paid = [p for p in stores[0].list_records("payments") if p["paid_on"] >= "2026-10-01"]
    assert result["invoiced"] == cents(i["total_amount"] for i in issued) == 10218.5
    assert result["collected"] == cents(p["amount"] for p in paid) == 3675.0
    assert (result["invoice_count"], result["payment_count"]) == (len(issued), len(paid))
    assert [row["month"] for row in result["by_month"]] == ["Oct 2026", "Nov 2026", "Dec 2026"]
    for row, month in zip(result["by_month"], ("2026-10", "2026-11", "2026-12"), strict=True):
        assert row["invoiced"] == cents(
            i["total_amount"] for i in issued if i["issue_date"][:7] == month
        )
        assert row["collected"] == cents(p["amount"] for p in paid if p["paid_on"][:7] == month)
    kinds = [(stat["title"], stat["kind"]) for stat in result["stat_data"]]
    assert kinds == [
        ("Revenue invoiced", "number"),
        ("Revenue collected", "number"),
        ("Invoiced by month", "series"),
        ("Collected by month", "series"),
    ]
    month = execute(agent, "revenue_report", {}, ctx).result
    assert month["period"]["label"] == "November 2026" and month["by_month"] == []
    assert month["collected"] == 0 and len(month["stat_data"]) == 2


@BOTH_STORES
def test_paid_by_check_then_revenue_through_a_scripted_chat(app, client, users, live):
    henderson = invoice(live, "INV-1002")
    event, result = scripted_call(
        app,
        client,
        users,
        "invoices",
        "mark_invoice_paid",
        invoice_id=henderson["id"],
        method="check",
    )
    assert event["status"] == "ok" and result["method"] == "check"
    [payment] = payments_of(live, "INV-1002")
    assert (payment["amount"], payment["method"]) == (3424.0, "check")
    install(app, route("invoices"), call("revenue_report", period="this_month"), say("Done."))
    evts = stream_events(send(client, users.a, "revenue this month"))
    stats = {e["title"]: e for e in evts if e["type"] == "stat_data"}
    collected, invoiced = stats["Revenue collected"], stats["Revenue invoiced"]
    start, end = collected["period"]["start"], collected["period"]["end"]
    assert start <= payment["paid_on"] <= end, "paid today, so in this month"
    expected = cents(
        p["amount"] for p in live.list_records("payments") if start <= p["paid_on"] <= end
    )
    assert collected["values"] == [{"label": "Revenue collected", "value": expected, "unit": "usd"}]
    billed = [
        i["total_amount"]
        for i in live.list_records("invoices")
        if start <= i["issue_date"] <= end and i["status"] not in ("draft", "cancelled")
    ]
    assert invoiced["values"][0]["value"] == cents(billed)
    assert {e["tool_name"] for e in evts if e["type"] == "stat_data"} == {"revenue_report"}


def test_another_users_payments_are_out_of_reach(ctx, stores):
    theirs = invoice(stores[1], "INV-1004")
    for tool, args in [
        ("record_payment", {"invoice_id": theirs["id"], "amount": 5}),
        ("mark_invoice_paid", {"invoice_id": theirs["id"]}),
    ]:
        outcome = execute(agent, tool, args, ctx)
        assert refused(outcome) and "was found" in outcome.result["error"]
    listed = execute(agent, "list_payments", {"limit": 100}, ctx).result["payments"]
    assert len(listed) == 2 and USER_B not in {p["user_id"] for p in listed}
    assert stores[1].get_record("invoices", theirs["id"]) == theirs
    assert stores[1].count_records("payments") == 2


def test_revenue_by_month_is_cut_to_the_dates_asked(ctx, stores):
    result = execute(agent, "revenue_report", {"start": "2026-10-15", "end": "2026-11-10"}, ctx)
    issued = [
        i
        for i in stores[0].list_records("invoices")
        if "2026-10-15" <= i["issue_date"] <= "2026-11-10"
        and i["status"] not in ("draft", "cancelled")
    ]
    assert [row["month"] for row in result.result["by_month"]] == ["Oct 2026", "Nov 2026"]
    october = [i["total_amount"] for i in issued if i["issue_date"] < "2026-11-01"]
    assert result.result["by_month"][0]["invoiced"] == cents(october) == 2675.0  # INV-1003
    assert result.result["invoiced"] == cents(i["total_amount"] for i in issued)
