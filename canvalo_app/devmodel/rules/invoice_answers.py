"""Offline answers of the invoices agent for what it looked up or did: the overdue summary,
what is owed in all, a new invoice, a project's invoice and a payment recorded."""

from __future__ import annotations

from ...agents.formatting import day, money, plural
from . import revenue


def overdue_answer(result: dict, text: str) -> str:
    if not result["count"]:
        return "None of your invoices are overdue."
    lines = [
        f"- {row['invoice_number']}, {row['client_name']}: {money(row['balance'])} owed, "
        f"{plural(row['days_overdue'], 'day')} overdue"
        for row in result["invoices"]
    ]
    total = money(result["total_overdue"])
    header = f"You have {plural(result['count'], 'overdue invoice')} totalling {total}:"
    return "\n".join([header, *lines])


def totals_answer(result: dict, text: str) -> str:
    collected = money(result["collected"])
    if not result["open_count"]:
        return f"Nobody owes you anything right now. You've collected {collected} in total."
    parts = [
        f"You're owed {money(result['outstanding'])} across "
        f"{plural(result['open_count'], 'invoice')}, {money(result['overdue'])} of it overdue.",
        f"You've collected {collected} so far.",
    ]
    if result["draft_total"]:
        parts.append(f"Drafts not sent yet come to {money(result['draft_total'])}.")
    return " ".join(parts)


def created_answer(result: dict, text: str) -> str:
    invoice = result["invoice"]
    lines = "; ".join(f"{i['description']} {money(i['amount'])}" for i in invoice["line_items"])
    return (
        f"I created draft invoice {invoice['invoice_number']} for {invoice['client_name']}: "
        f"{lines}, tax {money(invoice['tax_amount'])} ({invoice['tax_rate']:g}%), total "
        f"{money(invoice['total_amount'])}, due {day(invoice['due_date'])}. It hasn't been sent."
    )


def project_answer(result: dict, text: str) -> str:
    invoice, project = result["invoice"], result["project"]
    earlier = ", ".join(result["counted_invoices"])
    budget = f"The {money(project['budget'])} budget" if project["budget"] else "The project"
    already = (
        f" {budget} had {money(result['already_invoiced'])} invoiced already ({earlier})."
        if earlier
        else ""
    )
    unassigned = result["unassigned_invoices"]
    if unassigned:
        already += (
            f" I didn't count {', '.join(unassigned)}: the client has other projects, and "
            "those invoices name none."
        )
    return (
        f"I drafted invoice {invoice['invoice_number']} to {invoice['client_name']} for the "
        f"project “{project['name']}”: {money(invoice['subtotal'])} plus "
        f"{money(invoice['tax_amount'])} tax, total {money(invoice['total_amount'])}, due "
        f"{day(invoice['due_date'])}.{already} It's a draft; nothing has been sent."
    )


def payment_answer(result: dict, text: str) -> str:
    invoice, left = result["invoice"], result["balance"]
    rest = "It's now paid in full." if left <= 0 else f"{money(left)} is still owed."
    return (
        f"I recorded a {money(result['amount'])} payment"
        f"{revenue.said_method(result['method'])} on {invoice['invoice_number']} for "
        f"{invoice['client_name']}. {rest}"
    )
