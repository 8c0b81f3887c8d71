"""The invoices agent's money-in tools: payments on invoices, and revenue over a period.

Every payment is a row of its own (amount, method, day received) and is added to its
invoice's `amount_paid`, which settles the invoice's status.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from marshmallow import fields, validate

from ...store.base import Filter
from .. import figures
from ..formatting import money, plural
from ..stats import Period, PeriodInput, breakdown, number, period_of, series
from ..tools import Agent, Amount, Reference, ToolContext, ToolError, ToolInput
from .crud import ALL_ROWS, Paging, fetch
from .receivables import balance

METHODS = ("cash", "check", "card", "bank_transfer", "other")


class MarkPaid(ToolInput):
    invoice_id = fields.UUID(required=True, metadata={"description": "The invoice's id."})
    date = fields.Date(metadata={"description": "When the money came in; defaults to today."})
    method = fields.String(
        load_default="other",
        validate=validate.OneOf(METHODS),
        metadata={"description": "How it was paid (default other)."},
    )
    notes = fields.String(
        validate=validate.Length(1, 500),
        metadata={"description": "e.g. the check number or card reference."},
    )


class Payment(MarkPaid):
    amount = Amount(
        maximum=10_000_000,
        positive=True,
        required=True,
        metadata={"description": "Dollars received; at most the balance."},
    )


class PaymentList(PeriodInput, Paging):
    invoice_id = Reference(
        "invoices", "invoice", metadata={"description": "Only payments on this invoice."}
    )
    method = fields.String(validate=validate.OneOf(METHODS), metadata={"description": "Only by."})


def received(ctx: ToolContext, invoice: dict, amount: float, args: dict) -> dict:
    """Write the payment row, then add it to the invoice; the row goes if the invoice did
    not take it, so `amount_paid` and the payments never disagree."""
    paid_on = args.get("date") or ctx.today
    row = {"invoice_id": invoice["id"], "amount": amount, "method": args["method"]}
    payment = ctx.store.create_record(
        "payments", {**row, "paid_on": paid_on.isoformat(), "notes": args.get("notes")}
    )
    note = f"Payment of {money(amount)} received {paid_on.isoformat()}."
    values = {
        "amount_paid": round(invoice["amount_paid"] + amount, 2),
        "status": "paid" if amount == balance(invoice) else "partial",
        "notes": "\n".join(filter(None, (invoice["notes"], note))),
    }
    try:
        updated = ctx.store.update_record("invoices", invoice["id"], values)
    except Exception:
        # The update may have been written before it failed: read the invoice again.
        updated = ctx.store.get_record("invoices", invoice["id"])
        if not took(updated, values):
            ctx.store.delete_record("payments", payment["id"])
            raise
    if updated is None:
        ctx.store.delete_record("payments", payment["id"])
        raise ToolError(
            f"{invoice['invoice_number']} was deleted meanwhile; no payment was recorded."
        )
    return {"invoice": updated, "payment": payment}


def took(invoice: dict | None, values: dict) -> bool:
    """Whether `invoice`, as stored, has the payment's `values` written."""
    return invoice is not None and all(invoice[key] == value for key, value in values.items())


def pay(ctx: ToolContext, args: dict, amount: float | None) -> dict:
    """Record a payment (the whole balance when `amount` is None) and settle the status."""
    invoice = fetch(ctx, "invoices", args["invoice_id"], "invoice")
    number, owed = invoice["invoice_number"], balance(invoice)
    if invoice["status"] == "cancelled":
        raise ToolError(f"{number} is cancelled; it takes no payments.")
    if owed <= 0:
        raise ToolError(f"{number} is already paid in full.")
    amount = owed if amount is None else round(amount, 2)
    if amount > owed:
        raise ToolError(f"{money(amount)} is more than the {money(owed)} still owed on {number}.")
    written = received(ctx, invoice, amount, args)
    left = balance(written["invoice"])
    state = "paid in full" if left <= 0 else f"{money(left)} still owed"
    method = "" if args["method"] == "other" else f" by {args['method'].replace('_', ' ')}"
    return {
        **written,
        "amount": amount,
        "balance": left,
        "paid_on": written["payment"]["paid_on"],
        "method": args["method"],
        "summary": f"Recorded {money(amount)}{method} on {number}; {state}",
    }


def list_payments(ctx: ToolContext, args: dict) -> dict:
    period = period_of(args, ctx.today, "all_time")
    only = [Filter(key, "eq", str(args[key])) for key in ("invoice_id", "method") if key in args]
    rows = figures.dated(ctx.store, "payments", "paid_on", period, only, descending=True)
    count = len(rows)
    if count >= ALL_ROWS:  # only the newest were read: count them all
        count = ctx.store.count_records(
            "payments", filters=[*only, *figures.bounds("paid_on", period)]
        )
    numbers = {
        invoice["id"]: invoice["invoice_number"]
        for invoice in ctx.store.list_records("invoices", limit=ALL_ROWS)
    }
    shown = [{**row, "invoice_number": numbers.get(row["invoice_id"])} for row in rows]
    total = figures.cents(row["amount"] for row in rows)
    by_method = [
        (method, figures.cents(row["amount"] for row in rows if row["method"] == method))
        for method in METHODS
        if any(row["method"] == method for row in rows)
    ]
    return {
        "payments": shown[: args.get("limit", 20)],
        "count": count,
        "total": total,
        "cut": count > len(rows),
        "period": period.as_dict(),
        "stat_data": [breakdown("Payments by method", by_method, "usd", period)] if rows else [],
        "summary": payments_summary(count, len(rows), total, period),
    }


def payments_summary(count: int, read: int, total: float, period: Period) -> str:
    """What list_payments found; when it read only the newest `read` of `count`, says so."""
    if read < count:
        return (
            f"{plural(count, 'payment')} ({period.label}); the newest {read:,} total "
            f"{money(total)}: ask for a shorter period for the rest"
        )
    return f"{plural(count, 'payment')} totalling {money(total)} ({period.label})"


def revenue_report(ctx: ToolContext, args: dict) -> dict:
    period = period_of(args, ctx.today)
    issued = figures.invoices_issued(ctx.store, period)
    paid = figures.payments_received(ctx.store, period)
    invoiced = figures.cents(invoice["total_amount"] for invoice in issued)
    collected = figures.cents(payment["amount"] for payment in paid)
    stats = [
        number("Revenue invoiced", invoiced, "usd", period),
        number("Revenue collected", collected, "usd", period),
    ]
    by_month = []
    if len(figures.months(period)) > 1:
        billed = figures.monthly(issued, "issue_date", "total_amount", period)
        came_in = figures.monthly(paid, "paid_on", "amount", period)
        by_month = [
            {"month": month, "invoiced": a, "collected": b}
            for (month, a), (_, b) in zip(billed, came_in, strict=True)
        ]
        stats += [
            series("Invoiced by month", billed, "usd", period),
            series("Collected by month", came_in, "usd", period),
        ]
    return {
        "period": period.as_dict(),
        "invoiced": invoiced,
        "invoice_count": len(issued),
        "collected": collected,
        "payment_count": len(paid),
        "by_month": by_month,
        "stat_data": stats,
        "summary": f"{period.label}: {money(invoiced)} invoiced, {money(collected)} collected",
    }


def keep_payments(agent: Agent, **tools: str) -> None:
    """Make the agent's tools named in `tools` (deleted="delete_invoice", …) refuse an
    invoice with payments, when called and when confirmed: deleting or cancelling it would
    take money already received out of past revenue."""
    for verb, name in tools.items():
        tool = agent.tools[name]
        agent.tools[name] = replace(
            tool, run=unpaid_only(tool.run, verb), describe=unpaid_only(tool.describe, verb)
        )


def unpaid_only(step: Callable, verb: str) -> Callable:
    """`step` (a tool's run or describe on an invoice id) preceded by the payments check."""

    def checked(ctx: ToolContext, args: dict):
        invoice = fetch(ctx, "invoices", args["id"], "invoice")
        on_it = [Filter("invoice_id", "eq", invoice["id"])]
        if paid := figures.cents(
            row["amount"]
            for row in ctx.store.list_records("payments", filters=on_it, limit=ALL_ROWS)
        ):
            raise ToolError(
                f"{invoice['invoice_number']} has {money(paid)} in payments recorded, so it "
                f"can't be {verb}: that would rewrite revenue already collected, and refunds "
                "and voids aren't supported. Keep the invoice as it is; if money was given "
                "back, handle the refund outside the app."
            )
        return step(ctx, args)

    return checked


def add_payment_tools(agent: Agent) -> None:
    """Register record_payment, mark_invoice_paid, list_payments and revenue_report."""
    agent.tool("record_payment", Payment(), "Record money received on an invoice.")(
        lambda ctx, args: pay(ctx, args, args["amount"])
    )
    agent.tool("mark_invoice_paid", MarkPaid(), "Record payment of an invoice's whole balance.")(
        lambda ctx, args: pay(ctx, args, None)
    )
    agent.tool(
        "list_payments",
        PaymentList(),
        "Payments received, newest first, with their total and a breakdown by method: for "
        "one invoice, a method, or a period (default all time).",
    )(list_payments)
    agent.tool(
        "revenue_report",
        PeriodInput(),
        "Revenue invoiced (invoices issued, drafts and cancelled left out) and collected "
        "(payments received) over a period (default this month), month by month when it "
        "spans several.",
    )(revenue_report)
