"""The invoices agent: billing, payments, and what clients still owe."""

from __future__ import annotations

from datetime import date, timedelta

from marshmallow import fields, validate

from ...store.base import Filter, Search, now_iso
from .. import figures
from ..context import business_profile
from ..formatting import money
from ..stats import breakdown, named_period
from ..tools import Agent, Amount, ToolContext, ToolError, ToolInput
from .crud import (
    ALL_ROWS,
    Paging,
    RecordId,
    add_cancel_tool,
    add_crud_tools,
    fetch,
    refuse_before_sending,
    status_field,
)
from .money import PricedDocument, next_number, priced
from .payments import add_payment_tools, keep_payments
from .projects import find_project
from .receivables import (
    OPEN,
    STATUSES,
    amount_to_bill,
    balance,
    overdue_report,
    project_billing,
    totals_report,
)

#: Statuses that create_invoice and update_invoice leave to their own tools.
OWN_TOOLS = {
    "sent": "send_invoice",
    "partial": "record_payment",
    "paid": "record_payment or mark_invoice_paid",
    "cancelled": "cancel_invoice",
}

agent = Agent(
    name="invoices",
    description="Invoices: creating and finding them, payments, overdue and outstanding totals.",
    instructions=(
        "You manage the contractor's invoices. Look an invoice up with list_invoices (by "
        "client name or number) before changing it, and if several match, ask which one. "
        "Record money received with record_payment or mark_invoice_paid (with how it was paid), "
        "never by editing amounts; list_payments shows what came in. Mark a draft sent with "
        "send_invoice. Use overdue_summary and invoice_totals for what is owed, and "
        "revenue_report for money invoiced and collected over a period. A new invoice needs a "
        "client and at least one priced line; ask for what is missing and never invent "
        "clients, amounts or dates."
    ),
)


class InvoiceFields(PricedDocument):
    invoice_number = fields.String(
        validate=validate.Length(1, 30),
        metadata={"description": "Leave out to use the next INV- number."},
    )
    issue_date = fields.Date(metadata={"description": "YYYY-MM-DD; defaults to today."})
    due_date = fields.Date(
        metadata={"description": "YYYY-MM-DD; defaults to the issue date plus payment terms."}
    )
    status = status_field(STATUSES, OWN_TOOLS, "draft (default), viewed or overdue.")
    terms = fields.String(validate=validate.Length(max=2000))


class InvoiceUpdate(RecordId, InvoiceFields):
    pass


class InvoiceList(Paging):
    status = fields.String(validate=validate.OneOf(STATUSES), metadata={"description": "State."})
    search = fields.String(
        validate=validate.Length(1, 200),
        metadata={"description": "Text in the client's name or e-mail, or the invoice number."},
    )
    open_only = fields.Boolean(
        metadata={"description": "Only invoices money is owed on: sent, viewed, partial, overdue."}
    )
    overdue_only = fields.Boolean(
        metadata={"description": "Only unsettled invoices whose due date has passed."}
    )
    due_before = fields.Date(metadata={"description": "Due on or before this date."})
    due_after = fields.Date(metadata={"description": "Due on or after this date."})


class ProjectInvoice(ToolInput):
    project = fields.String(
        required=True,
        validate=validate.Length(1, 200),
        metadata={"description": "Words from the project's or its client's name, e.g. Smith."},
    )
    amount = Amount(
        maximum=10_000_000,
        positive=True,
        metadata={
            "description": "Dollars before tax, at most the budget not yet invoiced; defaults "
            "to all of it. Needed when the project has no budget."
        },
    )
    description = fields.String(validate=validate.Length(1, 300))


def label(invoice: dict) -> str:
    return f"invoice {invoice['invoice_number']} for {invoice['client_name']}"


def list_filters(args: dict, ctx: ToolContext) -> tuple[list[Filter], Search | None]:
    filters = [Filter("status", "eq", args["status"])] if "status" in args else []
    if args.get("open_only") or args.get("overdue_only"):
        filters.append(Filter("status", "in", list(OPEN)))
    if args.get("overdue_only"):
        filters.append(Filter("due_date", "lt", ctx.today.isoformat()))
    for key, op in (("due_before", "lte"), ("due_after", "gte")):
        if key in args:
            filters.append(Filter("due_date", op, args[key].isoformat()))
    columns = ("client_name", "client_email", "invoice_number")
    return filters, Search(columns, args["search"]) if "search" in args else None


def due_after(ctx: ToolContext, issued: date) -> str:
    """The due date of an invoice issued on `issued`: the business's payment terms later."""
    terms = (business_profile(ctx.store) or {}).get("payment_terms_days") or 30
    return (issued + timedelta(days=terms)).isoformat()


def prepare(values: dict, ctx: ToolContext, existing: dict | None) -> dict:
    """Number, dates and totals: defaults for a new invoice, checks for any write."""
    if existing and existing["status"] in ("paid", "cancelled") and "status" in values:
        raise ToolError(f"{existing['invoice_number']} is {existing['status']}; its status stays.")
    refuse_before_sending(values, existing, ("viewed", "overdue"), "send_invoice")
    if existing is None:
        values = {"issue_date": ctx.today.isoformat(), **values}
        if "invoice_number" not in values:
            values["invoice_number"] = next_number(ctx, "invoices", "invoice_number", "INV", 1001)
        if "due_date" not in values:
            values["due_date"] = due_after(ctx, date.fromisoformat(values["issue_date"]))
    dated = {**(existing or {}), **values}
    if dated["due_date"] and dated["due_date"] < dated["issue_date"]:
        raise ToolError("The due date must not be before the issue date.")
    values = priced(values, ctx, existing)
    if existing and values.get("total_amount", existing["total_amount"]) < existing["amount_paid"]:
        raise ToolError("The new total would be less than what has already been paid.")
    return values


add_crud_tools(
    agent,
    "invoices",
    "invoice",
    "invoices",
    create=InvoiceFields(),
    update=InvoiceUpdate(partial=tuple(InvoiceFields().fields)),
    list_schema=InvoiceList(),
    list_filters=list_filters,
    label=label,
    order_by="issue_date",
    prepare=prepare,
)


add_payment_tools(agent)


def open_invoices(ctx: ToolContext) -> list[dict]:
    filters = [Filter("status", "in", list(OPEN))]
    return ctx.store.list_records("invoices", filters=filters, order_by="due_date", limit=ALL_ROWS)


@agent.tool(
    "overdue_summary",
    ToolInput(),
    "Invoices past due and unsettled (oldest first) with balances, days overdue and total.",
)
def overdue_summary(ctx: ToolContext, args: dict) -> dict:
    return overdue_report(open_invoices(ctx), ctx.today)


@agent.tool(
    "invoice_totals",
    ToolInput(),
    "Count and value of invoices by status, what is outstanding and overdue, and what has "
    "been collected (every payment received).",
)
def invoice_totals(ctx: ToolContext, args: dict) -> dict:
    collected = figures.revenue_collected(ctx.store, named_period("all_time", ctx.today))
    report = totals_report(ctx.store.list_records("invoices", limit=ALL_ROWS), collected, ctx.today)
    parts = [
        (status, entry["total"]) for status, entry in report["by_status"].items() if entry["count"]
    ]
    return {**report, "stat_data": [breakdown("Invoices by status", parts, "usd")]}


add_cancel_tool(
    agent,
    "invoices",
    "invoice",
    description="Cancel an invoice (asks the user to confirm first).",
    finished=("paid", "cancelled"),
    label=label,
    refusal=lambda invoice: (
        f"{invoice['invoice_number']} is {invoice['status']}; it can't be cancelled."
    ),
    asking=lambda invoice: f"{label(invoice)} ({money(balance(invoice))} owed)",
)
keep_payments(agent, deleted="delete_invoice", cancelled="cancel_invoice")


def describe_send(ctx: ToolContext, args: dict) -> str:
    invoice = sendable(ctx, args)
    return f"Send {label(invoice)} ({money(invoice['total_amount'])}) and mark it sent"


def sendable(ctx: ToolContext, args: dict) -> dict:
    invoice = fetch(ctx, "invoices", args["id"], "invoice")
    if invoice["status"] != "draft":
        raise ToolError(
            f"{invoice['invoice_number']} is {invoice['status']}, not a draft; "
            "only a draft can be sent."
        )
    return invoice


@agent.tool(
    "send_invoice",
    RecordId(),
    "Mark a draft invoice sent to its client, issued today and due after the payment terms "
    "(asks the user to confirm first).",
    describe=describe_send,
)
def send_invoice(ctx: ToolContext, args: dict) -> dict:
    invoice = sendable(ctx, args)
    values = {
        "status": "sent",
        "sent_at": now_iso(),
        "issue_date": ctx.today.isoformat(),
        "due_date": due_after(ctx, ctx.today),
    }
    sent = ctx.store.update_record("invoices", invoice["id"], values)
    if sent is None:
        raise ToolError(f"{invoice['invoice_number']} was deleted meanwhile; nothing was sent.")
    return {"invoice": sent, "summary": f"Sent {label(sent)}, due {sent['due_date']}"}


@agent.tool(
    "invoice_project",
    ProjectInvoice(),
    "Draft an invoice to a project's client, by default for the project's budget not yet "
    "invoiced: the budget less what its earlier invoices billed before tax (discounts taken "
    "off, deposits included). A project without a budget needs the amount.",
)
def invoice_project(ctx: ToolContext, args: dict) -> dict:
    project = find_project(ctx, args["project"])
    billing = project_billing(
        project,
        ctx.store.list_records("invoices", limit=ALL_ROWS),
        ctx.store.list_records("projects", limit=ALL_ROWS),
    )
    amount = amount_to_bill(project, billing["already_invoiced"], args.get("amount"))
    line = {
        "description": args.get("description") or project["name"],
        "quantity": 1.0,
        "unit_price": amount,
    }
    values = {
        "client_name": project["client_name"] or project["name"],
        "project_id": project["id"],
        "line_items": [line],
        "notes": f"Project: {project['name']}",
    }
    if project["contact_id"]:
        values["contact_id"] = project["contact_id"]
    invoice = ctx.store.create_record("invoices", prepare(values, ctx, None))
    return {
        "invoice": invoice,
        "project": {"id": project["id"], "name": project["name"], "budget": project["budget"]},
        **billing,
        "summary": f"Drafted {label(invoice)} for {money(invoice['total_amount'])}",
    }
