"""The demo business's money and plans: invoices, payments, proposals, campaigns and goals."""

from __future__ import annotations

from ..agents.domains.money import totals
from ..agents.domains.proposal_sections import default_terms, sectioned
from .base import PROFILE, Calendar, Link, line_items, project

_TERMS = default_terms(PROFILE)


def invoices(cal: Calendar) -> list[dict]:
    # fmt: off
    return [
        {"invoice_number": "INV-1001", "client_name": "Grace Kim", "issue_date": cal.d(-50),
         "due_date": cal.d(-20), "status": "paid", "amount_paid": 2675.0,
         "project_id": project("Kim deck staining"), "sent_at": cal.at(cal.day(-50), 9),
         **totals(line_items(("Deck staining", 1, 2500)), 7.0)},
        {"invoice_number": "INV-1002", "client_name": "Tom Henderson",
         "client_email": "tom@hendersonfamily.example", "issue_date": cal.d(-40),
         "due_date": cal.d(-10), "status": "overdue",
         "project_id": project("Henderson exterior repaint"), "sent_at": cal.at(cal.day(-40), 9),
         **totals(line_items(("Exterior prep and prime", 1, 3200)), 7.0)},
        {"invoice_number": "INV-1003", "client_name": "Dan Smith", "issue_date": cal.d(-35),
         "due_date": cal.d(-5), "status": "partial", "amount_paid": 1000.0,
         "project_id": project("Smith Dental office interior"),
         "sent_at": cal.at(cal.day(-35), 9),
         **totals(line_items(("Deposit: office interior", 1, 2500)), 7.0)},
        {"invoice_number": "INV-1004", "client_name": "Maria Lopez", "issue_date": cal.d(-2),
         "due_date": cal.d(28), "status": "sent", "project_id": project("Lopez kitchen cabinets"),
         "sent_at": cal.at(cal.day(-2), 9),
         **totals(line_items(("Cabinet refinishing deposit", 1, 1200)), 7.0)},
        {"invoice_number": "INV-1005", "client_name": "Nina Brooks", "issue_date": cal.d(-1),
         "due_date": cal.d(29), "status": "draft",
         **totals(line_items(("Rental unit touch-up", 6, 65)), 7.0)},
        {"invoice_number": "INV-1006", "client_name": "Priya Shah", "issue_date": cal.d(-20),
         "due_date": cal.d(10), "status": "viewed", "sent_at": cal.at(cal.day(-20), 9),
         **totals(line_items(("Color consultation", 2, 75)), 7.0)},
        {"invoice_number": "INV-0999", "client_name": "Old Client LLC", "issue_date": cal.d(-90),
         "due_date": cal.d(-60), "status": "cancelled",
         **totals(line_items(("Cancelled job", 1, 500)), 7.0)},
    ]
    # fmt: on


def payments(cal: Calendar) -> list[dict]:
    """The money recorded on the paid and part-paid invoices, as `amount_paid` says."""
    # fmt: off
    return [
        {"invoice_id": Link("invoices", "invoice_number", "INV-1001"), "amount": 2675.0,
         "method": "check", "paid_on": cal.d(-24), "notes": "Check #1184"},
        {"invoice_id": Link("invoices", "invoice_number", "INV-1003"), "amount": 1000.0,
         "method": "bank_transfer", "paid_on": cal.d(-33)},
    ]
    # fmt: on


def proposals(cal: Calendar) -> list[dict]:
    # fmt: off
    return [
        {"proposal_number": "PRO-201", "title": "Kitchen cabinet refinishing",
         "client_name": "Maria Lopez", "client_email": "maria.lopez@example.com",
         "contact_id": Link("contacts", "email", "maria.lopez@example.com"), "status": "sent",
         "valid_until": cal.d(20), "sent_at": cal.at(cal.day(-10), 10), "terms": _TERMS,
         **totals(line_items(("Cabinet doors", 18, 85), ("Cabinet boxes", 1, 900)), 7.0)},
        {"proposal_number": "PRO-202", "title": "Whole-house interior",
         "client_name": "Priya Shah", "client_email": "priya.shah@example.com",
         "contact_id": Link("contacts", "email", "priya.shah@example.com"), "status": "draft",
         "valid_until": cal.d(30), "terms": _TERMS, **sectioned_proposal(
             ("Main floor", line_items(("Rooms", 4, 650), ("Ceilings", 4, 180))),
             ("Upper floor", line_items(("Rooms", 3, 650), ("Ceilings", 3, 180))),
             discount=300.0)},
        {"proposal_number": "PRO-198", "title": "Office interior", "client_name": "Dan Smith",
         "status": "accepted", "sent_at": cal.at(cal.day(-24), 10),
         "accepted_at": cal.at(cal.day(-20), 16),
         **totals(line_items(("Office suites", 5, 1700)), 7.0)},
    ]
    # fmt: on


def sectioned_proposal(*parts: tuple[str, list[dict]], discount: float = 0.0) -> dict:
    """A proposal priced in sections: the sections with their subtotals, and its totals."""
    priced = sectioned([{"title": title, "line_items": items} for title, items in parts])
    return {**totals(priced["line_items"], 7.0, discount), "sections": priced["sections"]}


def campaigns(cal: Calendar) -> list[dict]:
    # fmt: off
    return [
        {"name": "Spring exterior special", "channel": "email", "status": "sent",
         "audience": "past clients", "subject": "10% off exterior painting",
         "sent_at": cal.at(cal.day(-40), 9), "recipients_count": 420,
         "opens_count": 189, "clicks_count": 46, "conversions_count": 7, "budget": 150,
         "spent": 120},
        {"name": "Holiday touch-up reminder", "channel": "sms", "status": "scheduled",
         "audience": "clients", "content": "Book a pre-holiday touch-up!",
         "scheduled_at": cal.at(cal.day(5), 10), "budget": 60},
        {"name": "Cabinet refinishing promo", "channel": "social", "status": "draft",
         "budget": 200},
    ]
    # fmt: on


def goals(cal: Calendar) -> list[dict]:
    # fmt: off
    return [
        {"title": "Quarterly revenue", "metric": "revenue", "target_value": 15000,
         "unit": "USD", "period_start": cal.d(-45), "period_end": cal.d(45)},
        {"title": "New clients this quarter", "metric": "new_clients", "target_value": 12,
         "period_start": cal.d(-45), "period_end": cal.d(45)},
        {"title": "Keep a 4.5+ rating", "metric": "average_rating", "target_value": 4.5},
        {"title": "Finish the Henderson repaint", "metric": "custom", "target_value": 100,
         "current_value": 60, "unit": "percent", "period_end": cal.d(5)},
    ]
    # fmt: on
