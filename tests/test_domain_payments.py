"""The invoices agent's money-in tools (domains/payments.py) on the real store: payments with
their method and day, the list of them, and revenue invoiced and collected over a period.
Figures are checked against sums worked out here from the stored rows."""

from __future__ import annotations

from uuid import uuid4

import httpx
import pytest

from canvalo_app.agents.domains.crud import ALL_ROWS
from canvalo_app.agents.domains.invoices import agent
from canvalo_app.agents.tools import ToolContext, ToolError, execute, run_confirmed
from canvalo_app.demo import seed_demo
from tests.agent_helpers import TODAY, invoice, refused, scripted_call, user_store
from tests.conftest import BOTH_STORES, USER_A, USER_B
from tests.helpers import send, stream_events
from tests.pgstack_fixture import RestV1Transport
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
        ("revenue_report", {"start": "2026-11-24"}),  # after today, so after its end
        ("list_payments", {"start": "2026-12-01"}),
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


@pytest.mark.parametrize(("number", "paid"), [("INV-1001", "$2,675.00"), ("INV-1003", "$1,000.00")])
def test_invoices_with_payments_are_neither_deleted_nor_cancelled(ctx, stores, number, paid):
    """Either would take money received out of the revenue of the months it came in."""
    before = invoice(stores[0], number)
    for tool, done in (("cancel_invoice", "cancelled"), ("delete_invoice", "deleted")):
        outcome = execute(agent, tool, {"id": before["id"]}, ctx)
        assert refused(outcome) and outcome.action is None
        assert outcome.result["error"] == (
            f"{number} has {paid} in payments recorded, so it can't be {done}: that would "
            "rewrite revenue already collected, and refunds and voids aren't supported. Keep "
            "the invoice as it is; if money was given back, handle the refund outside the app."
        )
    assert stores[0].get_record("invoices", before["id"]) == before
    everything = execute(agent, "revenue_report", {"period": "all_time"}, ctx).result
    assert everything["collected"] == 3675.0


@pytest.mark.parametrize("tool", ["cancel_invoice", "delete_invoice"])
def test_a_payment_after_the_ask_refuses_the_confirmation(ctx, stores, tool):
    sent = invoice(stores[0], "INV-1004")
    outcome = execute(agent, tool, {"id": sent["id"]}, ctx)
    assert outcome.status == "pending_confirmation"
    execute(agent, "record_payment", {"invoice_id": sent["id"], "amount": 84}, ctx)
    with pytest.raises(ToolError, match="INV-1004 has \\$84.00 in payments recorded"):
        run_confirmed(agent, stores[0].get_action(outcome.action["id"]), ctx)
    assert invoice(stores[0], "INV-1004")["status"] == "partial"


def test_an_invoice_deleted_meanwhile_takes_no_payment(app, ctx, stores):
    sent = invoice(stores[0], "INV-1004")
    app.extensions["store"].run(  # the invoice goes between the payment and its update
        "CREATE TRIGGER deleted_meanwhile AFTER INSERT ON payments "
        "BEGIN DELETE FROM invoices WHERE id = NEW.invoice_id; END"
    )
    outcome = execute(agent, "record_payment", {"invoice_id": sent["id"], "amount": 84}, ctx)
    assert outcome.result["error"] == "INV-1004 was deleted meanwhile; no payment was recorded."
    assert stores[0].count_records("payments") == 2


class LostAnswers(httpx.BaseTransport):
    """The gateway to PostgREST, losing its answers to changes of invoices once `armed`:
    the change is made, and the caller hears nothing back."""

    def __init__(self) -> None:
        self.inner, self.armed = RestV1Transport(), False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if self.armed and request.method == "PATCH" and "/invoices" in request.url.path:
            response.close()
            raise httpx.ReadTimeout("no answer", request=request)
        return response

    def close(self) -> None:
        self.inner.close()


@pytest.mark.parametrize("store_backend", ["supabase"], indirect=True)
def test_a_payment_the_invoice_took_stays_when_the_answer_is_lost(make_app, users):
    lost = LostAnswers()
    store = user_store(make_app(SUPABASE_HTTP_TRANSPORT=lost), users)
    seed_demo(store, TODAY)
    sent = invoice(store, "INV-1004")
    lost.armed = True
    args = {"invoice_id": sent["id"], "amount": 84}
    outcome = execute(agent, "record_payment", args, ToolContext(store, TODAY))
    assert outcome.status == "ok" and outcome.result["balance"] == 1200.0
    assert store.get_record("invoices", sent["id"])["amount_paid"] == 84.0
    assert [p["amount"] for p in payments_of(store, "INV-1004")] == [84.0]


def test_a_long_list_shows_the_newest_payments_and_says_it_was_cut(app, ctx, stores):
    paid, now = invoice(stores[0], "INV-1001"), "2020-01-01T12:00:00+00:00"
    old = [(str(uuid4()), USER_A, paid["id"], 1.0, "2020-01-01", now, now) for _ in range(ALL_ROWS)]
    app.extensions["store"].transaction(
        lambda conn: conn.executemany(
            "INSERT INTO payments (id, user_id, invoice_id, amount, paid_on, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            old,
        )
    )
    result = execute(agent, "list_payments", {"limit": 3}, ctx).result
    assert [p["paid_on"] for p in result["payments"]] == ["2026-10-30", "2026-10-21", "2020-01-01"]
    assert (result["count"], result["cut"], result["total"]) == (ALL_ROWS + 2, True, 13673.0)
    assert result["summary"] == (
        "10002 payments (all time); the newest 10,000 total $13,673.00: ask for a shorter "
        "period for the rest"
    )
