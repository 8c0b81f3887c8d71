"""Offline rules for the invoices agent: what is owed, new invoices, payments, cancelling.

Understands, for example: "which invoices are overdue?", "how much am I owed?", "how much does
Henderson owe?", "show my unpaid invoices", "show INV-1004", "create an invoice for Nina
Brooks for $1,250 for trim painting", "record a $500 payment on INV-1003", "mark the
Henderson invoice paid", "mark INV-1002 paid by check", "send INV-1005", "cancel INV-1005",
"delete the Henderson invoice", "invoice the Smith project" (a draft for the project's
unbilled budget). Revenue and payments received are read in `revenue.py`.
"""

from __future__ import annotations

import re
from datetime import date

from ...agents.domains.receivables import STATUSES
from ...agents.formatting import day, money, plural
from ..dates import find_date
from ..parse import amounts, email, invoice_number, names, percent, status_in, work
from . import Call, Step, failed, find_then_act, not_one, records, revenue
from .invoice_answers import (
    created_answer,
    overdue_answer,
    payment_answer,
    project_answer,
    totals_answer,
)

SYNONYMS = {
    "late": "overdue",
    "past due": "overdue",
    "partially paid": "partial",
    "void": "cancelled",
    "voided": "cancelled",
    "drafts": "draft",
}

_PAID = re.compile(r"\bmark(?:ed)?\b.*\bpaid\b|\b(?:paid\s+in|in)\s+full\b|\bfully\s+paid\b", re.I)
_CREATE = re.compile(
    r"\b(?:create|make|draft|write|prepare|raise|issue)\s+(?:an?\s+)?(?:new\s+)?"
    r"(?:draft\s+)?invoice\b|^\s*(?:please\s+)?(?:invoice|bill)\b",
    re.I,
)
_OWED = re.compile(
    r"\b(?:owed?|owes|outstanding|receivables?|collected|totals?|how\s+much)\b", re.I
)
_INTENTS = [
    ("delete", re.compile(r"\b(?:delete|remove|erase)\b", re.I)),
    ("cancel", re.compile(r"\b(?:cancel|void)\b", re.I)),
    ("send", re.compile(r"\b(?:send|mark\b.*\bsent)\b", re.I)),
    ("project", re.compile(r"\b(?:invoice|bill)\b.*\b(?:project|job)\b", re.I)),
    ("paid", _PAID),
    ("payment", re.compile(r"\b(?:payment|paid|received|got|deposit)\b", re.I)),
    ("create", _CREATE),
    ("overdue", re.compile(r"\b(?:overdue|late|past\s+due|behind)\b", re.I)),
    ("owed", _OWED),
]
#: Intents that first find one invoice, then act on it.
ACTIONS = ("delete", "cancel", "send", "paid", "payment", "payments")
_DUE = re.compile(r"\bdue\b(.*)", re.I)
#: The fields "change the due date on INV-1005 to December 15" and the like can change.
EDITS = [
    records.Edit("due_date", re.compile(r"\bdue\b", re.I), records.date_after_to),
    records.Edit("tax_rate", re.compile(r"\btax\b", re.I), records.percent_after_to),
]
_OPEN = re.compile(r"\b(?:unpaid|open|unsettled)\b", re.I)


def intent(text: str) -> str:
    kind = next((kind for kind, pattern in _INTENTS if pattern.search(text)), "list")
    if kind in ("payment", "owed", "list") and revenue.asks_revenue(text):
        return "revenue"
    if kind in ("payment", "list") and revenue.asks_payments(text):
        return "payments" if invoice_number(text) else "received"
    if kind == "payment" and not amounts(text):
        return "owed" if _OWED.search(text) else "list"  # "how much have I been paid?"
    return kind


def who(text: str) -> str | None:
    """The invoice number or client the request is about."""
    return invoice_number(text) or next(iter(names(text)), None)


def find_call(text: str, kind: str) -> Call:
    """Look the invoice up by number or client; payments only go on invoices still owed."""
    args: dict = {"limit": 5}
    if target := who(text):
        args["search"] = target
    if kind in ("paid", "payment"):
        args["open_only"] = True
    return "list_invoices", args


def act(kind: str, text: str, invoice: dict, today: date) -> Call:
    if kind in ("delete", "cancel"):
        return f"{kind}_invoice", {"id": invoice["id"]}
    if kind == "send":
        return "send_invoice", {"id": invoice["id"]}
    if kind == "payments":
        return "list_payments", {"invoice_id": invoice["id"]}
    args = {"invoice_id": invoice["id"]}
    if paid_by := revenue.method(text):
        args["method"] = paid_by
    if (paid_on := find_date(text, today)) and paid_on <= today:
        args["date"] = paid_on.isoformat()
    if kind == "payment":
        args["amount"] = amounts(text)[0]
    return ("record_payment" if kind == "payment" else "mark_invoice_paid"), args


def create_args(text: str, today: date) -> dict | None:
    found, client = amounts(text), next(iter(names(text)), None)
    if not (found and client):
        return None
    args = {
        "client_name": client,
        "line_items": [{"description": work(text, client), "quantity": 1, "unit_price": found[0]}],
    }
    if address := email(text):
        args["client_email"] = address
    if (due := _DUE.search(text)) and (when := find_date(due[1], today)):
        args["due_date"] = when.isoformat()
    if re.search(r"\btax\b", text, re.I) and (rate := percent(text)) is not None:
        args["tax_rate"] = rate
    return args


def list_args(text: str) -> dict:
    args: dict = {"limit": 10}
    if target := who(text):
        args["search"] = target
    if intent(text) == "owed" or _OPEN.search(text):
        args["open_only"] = True
    elif status := status_in(text, STATUSES, SYNONYMS):
        args["status"] = status
    return args


def project_args(text: str) -> dict | None:
    """ "invoice the Smith project" (optionally "for $2,000")."""
    project = next(iter(names(text)), None)
    if not project:
        return None
    return {"project": project} | ({"amount": amounts(text)[0]} if amounts(text) else {})


def plan(kind: str, text: str, today: date) -> Call | None:
    if kind in ("revenue", "received"):
        name = "revenue_report" if kind == "revenue" else "list_payments"
        return name, revenue.period_args(text, today)
    if kind == "project":
        args = project_args(text)
        return ("invoice_project", args) if args else None
    if kind == "create":
        args = create_args(text, today)
        return ("create_invoice", args) if args else None
    if kind == "overdue":
        return "overdue_summary", {}
    if kind == "owed" and not who(text):
        return "invoice_totals", {}
    return "list_invoices", list_args(text)


def next_calls(text: str, steps: list[Step], today: date) -> list[Call]:
    kind = intent(text)
    if kind == "list" and (record := records.record_kind(text, today, EDITS)):
        return records.record_calls(record[0], "invoice", steps, find_call(text, kind), record[1])
    if kind in ACTIONS:
        act_on = lambda invoice: act(kind, text, invoice, today)  # noqa: E731
        return find_then_act(steps, find_call(text, kind), "invoices", act_on)
    if steps:
        return []
    call = plan(kind, text, today)
    return [call] if call else []


# Answers ---------------------------------------------------------------------------------
def owed(invoice: dict) -> float:
    return invoice.get("balance", invoice["total_amount"] - invoice.get("amount_paid", 0))


def describe(invoice: dict) -> str:
    number, client = invoice["invoice_number"], invoice["client_name"]
    return f"{number} for {client} ({money(owed(invoice))} owed, {invoice['status']})"


def due(invoice: dict) -> str:
    return f", due {day(invoice['due_date'])}" if invoice["due_date"] else ""


def list_answer(result: dict, text: str) -> str:
    rows = result["invoices"]
    if not rows:
        return "I couldn't find any invoices matching that."
    lines = [f"- {describe(row)}{due(row)}" for row in rows]
    header = f"I found {plural(result['total'], 'invoice')}"
    if intent(text) == "owed":
        total = money(sum(owed(row) for row in rows))
        header = f"{who(text)} owes you {total} on {plural(len(rows), 'invoice')}"
    elif result["total"] > len(rows):
        header += f" (showing {len(rows)})"
    return "\n".join([header + ":", *lines])


ANSWERS = {
    "overdue_summary": overdue_answer,
    "invoice_totals": totals_answer,
    "list_invoices": list_answer,
    "create_invoice": created_answer,
    "invoice_project": project_answer,
    "record_payment": payment_answer,
    "mark_invoice_paid": payment_answer,
    "send_invoice": lambda result, text: f"Done: {result['summary']}.",
    "revenue_report": revenue.revenue_answer,
    "list_payments": revenue.payments_answer,
}
ASK = {
    "project": "Which project should I invoice? Tell me its name or its client's name.",
    "create": "To create an invoice I need the client's name and the amount, for example "
    "“create an invoice for Nina Brooks for $1,250 for trim painting”.",
}
HELP = "I can list invoices, create them, record payments and tell you what you're owed."


def answer(text: str, steps: list[Step], today: date) -> str:
    kind = intent(text)
    if not steps:
        if kind == "create" and (client := next(iter(names(text)), None)):
            return f"How much should the invoice for {client} be, and for what work?"
        return ASK.get(kind, HELP)
    if kind == "list" and records.record_kind(text, today, EDITS):
        return records.record_answer(steps, "invoice", who(text) or "", describe)
    last = steps[-1]
    if last.status != "ok":
        return failed(last)
    if kind in ACTIONS and len(steps) == 1:
        noun = "open invoice" if kind in ("paid", "payment") else "invoice"
        return not_one(last, "invoices", noun, who(text) or "", describe) or "Which invoice?"
    return ANSWERS.get(last.name, lambda result, _: result.get("summary", "Done."))(
        last.result, text
    )
