"""What clients owe: balances, overdue invoices and totals by status, computed from rows."""

from __future__ import annotations

from datetime import date

from ..formatting import money
from ..tools import ToolError

STATUSES = ("draft", "sent", "viewed", "partial", "paid", "overdue", "cancelled")
#: Billed and not settled: money clients owe.
OPEN = ("sent", "viewed", "partial", "overdue")


def balance(invoice: dict) -> float:
    return round(invoice["total_amount"] - invoice["amount_paid"], 2)


def is_overdue(invoice: dict, today: date) -> bool:
    """Marked overdue, or billed, unsettled and past its due date."""
    past_due = bool(invoice["due_date"]) and invoice["due_date"] < today.isoformat()
    return invoice["status"] == "overdue" or (invoice["status"] in OPEN and past_due)


def overdue_row(invoice: dict, today: date) -> dict:
    due = invoice["due_date"]
    days = max((today - date.fromisoformat(due)).days, 0) if due else 0
    keys = ("id", "invoice_number", "client_name", "client_email", "due_date", "status")
    return {key: invoice[key] for key in keys} | {"balance": balance(invoice), "days_overdue": days}


def overdue_report(open_invoices: list[dict], today: date) -> dict:
    """The overdue ones among `open_invoices`, oldest first, with balances and their total."""
    rows = [overdue_row(i, today) for i in open_invoices if is_overdue(i, today)]
    rows.sort(key=lambda row: -row["days_overdue"])
    total = round(sum(row["balance"] for row in rows), 2)
    summary = (
        f"{len(rows)} overdue, {money(total)} outstanding; oldest {rows[0]['invoice_number']}"
        if rows
        else "No overdue invoices"
    )
    return {
        "invoices": rows,
        "count": len(rows),
        "total_overdue": total,
        "oldest": rows[0] if rows else None,
        "summary": summary,
    }


def totals_report(invoices: list[dict], collected: float, today: date) -> dict:
    """Count and value by status; outstanding and overdue money, and `collected` (what the
    payments received add up to)."""
    by_status = {status: {"count": 0, "total": 0.0} for status in STATUSES}
    for invoice in invoices:
        entry = by_status[invoice["status"]]
        entry["count"] += 1
        entry["total"] = round(entry["total"] + invoice["total_amount"], 2)
    unsettled = [invoice for invoice in invoices if invoice["status"] in OPEN]
    outstanding = round(sum(balance(invoice) for invoice in unsettled), 2)
    overdue = round(sum(balance(i) for i in unsettled if is_overdue(i, today)), 2)
    return {
        "by_status": by_status,
        "outstanding": outstanding,
        "open_count": len(unsettled),
        "overdue": overdue,
        "collected": collected,
        "draft_total": by_status["draft"]["total"],
        "summary": f"{money(outstanding)} outstanding on {len(unsettled)} invoices "
        f"({money(overdue)} overdue); {money(collected)} collected",
    }


def _client(record: dict) -> tuple[str | None, str]:
    return record["contact_id"], " ".join((record["client_name"] or "").lower().split())


def same_client(record: dict, project: dict) -> bool:
    """Whether an invoice or project is for `project`'s client: the same contact when both
    name one, else the same client name."""
    (contact, name), (their_contact, their_name) = _client(record), _client(project)
    if contact and their_contact:
        return contact == their_contact
    return bool(their_name) and name == their_name


def billed(invoice: dict) -> float:
    """What an invoice bills before tax: its subtotal less its discount."""
    return round(invoice["subtotal"] - (invoice["discount_amount"] or 0), 2)


def project_billing(project: dict, invoices: list[dict], projects: list[dict]) -> dict:
    """What `project` has been invoiced so far (before tax, discounts taken off, cancelled
    invoices left out): its own invoices, and the client's invoices that name no project
    when the client has no other project they could bill. With other projects, those are
    listed as unassigned and not counted."""
    live = [invoice for invoice in invoices if invoice["status"] != "cancelled"]
    linked = [invoice for invoice in live if invoice["project_id"] == project["id"]]
    unlinked = [i for i in live if not i["project_id"] and same_client(i, project)]
    others = [
        other
        for other in projects
        if other["id"] != project["id"]
        and other["status"] != "cancelled"
        and same_client(other, project)
    ]
    counted = linked + ([] if others else unlinked)
    return {
        "already_invoiced": round(sum(billed(invoice) for invoice in counted), 2),
        "counted_invoices": [invoice["invoice_number"] for invoice in counted],
        "unassigned_invoices": [invoice["invoice_number"] for invoice in unlinked]
        if others
        else [],
    }


def amount_to_bill(project: dict, already: float, asked: float | None) -> float:
    """What a project's next invoice bills before tax: `asked`, or else its budget not yet
    invoiced. Refused when `asked` is more than that, when nothing is left, or when there is
    no budget to work it out from and no amount was given."""
    name, budget = project["name"], project["budget"] or 0
    left = round(budget - already, 2)
    if not budget:
        if asked is None:
            raise ToolError(
                f"{name} has no budget, so what is left to invoice is unknown: "
                "ask the user for the amount to bill (before tax)."
            )
        return asked
    if asked is not None and asked > left:
        raise ToolError(
            f"{money(asked)} is more than is left to invoice on {name}: {money(max(left, 0))} "
            f"of its {money(budget)} budget ({money(already)} invoiced already)."
        )
    if left <= 0:
        raise ToolError(f"{name} is already invoiced in full ({money(already)}).")
    return left if asked is None else asked
