"""A realistic demo painting business for one user, dated relative to today.

Its times (appointments, replies, sends) are wall-clock times of the business's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

from .agents.context import today_for
from .agents.domains.money import totals
from .agents.zone import business_zone, stored, wall_clock
from .store.base import UserStore

PROFILE = {
    "business_name": "Brightline Painting Co.",
    "owner_name": "Sam Rivera",
    "email": "sam@brightlinepainting.example",
    "phone": "555-0142",
    "address": "18 Mill Street, Springfield",
    "service_area": "Springfield and 25 miles",
    "services": "Interior, exterior, cabinet refinishing, deck staining",
    "hourly_rate": 65.0,
    "default_tax_rate": 7.0,
    "payment_terms_days": 30,
    "timezone": "America/New_York",
}


def _line_items(*items: tuple[str, float, float]) -> list[dict]:
    return [{"description": d, "quantity": q, "unit_price": p} for d, q, p in items]


def _at(day: date, hour: int, minutes: int = 0) -> str:
    """`hour`:`minutes` on `day` in the business's zone, as the store keeps times."""
    zone = business_zone(PROFILE)
    return stored(wall_clock(day, time(hour, minutes), zone), zone)


@dataclass(frozen=True)
class Calendar:
    """Dates relative to the demo's today: `d(n)` is n days away (ISO), `at(day, hour)` a
    wall-clock time of the business's zone, as the store keeps it."""

    today: date

    def d(self, days: int) -> str:
        return (self.today + timedelta(days=days)).isoformat()

    def at(self, day: date, hour: int, minutes: int = 0) -> str:
        return _at(day, hour, minutes)

    def day(self, days: int) -> date:
        return self.today + timedelta(days=days)

    def monday(self, days: int) -> date:
        """`days` after next Monday."""
        return self.day(7 - self.today.weekday() + days)


def seed_demo(store: UserStore, today: date | None = None) -> dict[str, int]:
    """Fill `store` with a demo business; returns how many rows each table got.

    A user who already has a business profile is left as they are (an empty result).
    """
    if store.count_records("business_settings"):
        return {}
    cal = Calendar(today or today_for(PROFILE))
    rows: dict[str, list[dict]] = {"business_settings": [dict(PROFILE)]}
    for table, build in TABLES.items():
        rows[table] = build(cal)
    for table, records in rows.items():
        for record in records:
            store.create_record(table, record)
    return {table: len(records) for table, records in rows.items()}


def _contacts(cal: Calendar) -> list[dict]:
    # fmt: off
    return [
        {"first_name": "Maria", "last_name": "Lopez", "email": "maria.lopez@example.com",
         "phone": "555-0101", "contact_type": "client", "address": "4 Oak Lane"},
        {"first_name": "Tom", "last_name": "Henderson", "email": "tom@hendersonfamily.example",
         "phone": "555-0102", "contact_type": "client", "address": "77 Birch Road"},
        {"first_name": "Priya", "last_name": "Shah", "email": "priya.shah@example.com",
         "contact_type": "lead", "notes": "Asked about cabinet refinishing"},
        {"first_name": "Dan", "last_name": "Smith", "company": "Smith Dental",
         "email": "office@smithdental.example", "contact_type": "client"},
        {"first_name": "Grace", "last_name": "Kim", "contact_type": "past_client",
         "email": "grace.kim@example.com"},
        {"first_name": "Lee", "last_name": "Park", "company": "Park Paint Supply",
         "contact_type": "vendor", "phone": "555-0190"},
        {"first_name": "Jorge", "last_name": "Alvarez", "contact_type": "subcontractor",
         "phone": "555-0177", "notes": "Drywall repair"},
        {"first_name": "Nina", "last_name": "Brooks", "company": "Brooks Realty",
         "contact_type": "partner", "email": "nina@brooksrealty.example"},
    ]
    # fmt: on


def _projects(cal: Calendar) -> list[dict]:
    # fmt: off
    return [
        {"name": "Henderson exterior repaint", "client_name": "Tom Henderson",
         "address": "77 Birch Road", "status": "in_progress", "start_date": cal.d(-10),
         "end_date": cal.d(5), "budget": 12000, "actual_cost": 7400, "progress": 60},
        {"name": "Smith Dental office interior", "client_name": "Dan Smith",
         "status": "in_progress", "start_date": cal.d(-3), "end_date": cal.d(10), "budget": 8500,
         "actual_cost": 2100, "progress": 25},
        {"name": "Lopez kitchen cabinets", "client_name": "Maria Lopez", "status": "planning",
         "start_date": cal.d(14), "budget": 4200},
        {"name": "Kim deck staining", "client_name": "Grace Kim", "status": "completed",
         "start_date": cal.d(-60), "end_date": cal.d(-52), "budget": 2500, "actual_cost": 2350,
         "progress": 100},
    ]
    # fmt: on


def _invoices(cal: Calendar) -> list[dict]:
    # fmt: off
    return [
        {"invoice_number": "INV-1001", "client_name": "Grace Kim", "issue_date": cal.d(-50),
         "due_date": cal.d(-20), "status": "paid", "amount_paid": 2675.0,
         **totals(_line_items(("Deck staining", 1, 2500)), 7.0)},
        {"invoice_number": "INV-1002", "client_name": "Tom Henderson",
         "client_email": "tom@hendersonfamily.example", "issue_date": cal.d(-40),
         "due_date": cal.d(-10), "status": "overdue",
         **totals(_line_items(("Exterior prep and prime", 1, 3200)), 7.0)},
        {"invoice_number": "INV-1003", "client_name": "Dan Smith", "issue_date": cal.d(-35),
         "due_date": cal.d(-5), "status": "partial", "amount_paid": 1000.0,
         **totals(_line_items(("Deposit: office interior", 1, 2500)), 7.0)},
        {"invoice_number": "INV-1004", "client_name": "Maria Lopez", "issue_date": cal.d(-2),
         "due_date": cal.d(28), "status": "sent",
         **totals(_line_items(("Cabinet refinishing deposit", 1, 1200)), 7.0)},
        {"invoice_number": "INV-1005", "client_name": "Nina Brooks", "issue_date": cal.d(-1),
         "due_date": cal.d(29), "status": "draft",
         **totals(_line_items(("Rental unit touch-up", 6, 65)), 7.0)},
        {"invoice_number": "INV-1006", "client_name": "Priya Shah", "issue_date": cal.d(-20),
         "due_date": cal.d(10), "status": "viewed",
         **totals(_line_items(("Color consultation", 2, 75)), 7.0)},
        {"invoice_number": "INV-0999", "client_name": "Old Client LLC", "issue_date": cal.d(-90),
         "due_date": cal.d(-60), "status": "cancelled",
         **totals(_line_items(("Cancelled job", 1, 500)), 7.0)},
    ]
    # fmt: on


def _appointments(cal: Calendar) -> list[dict]:
    # fmt: off
    return [
        {"title": "Estimate: Lopez cabinets", "client_name": "Maria Lopez",
         "appointment_type": "estimate", "start_time": cal.at(cal.day(1), 9),
         "end_time": cal.at(cal.day(1), 10), "location": "4 Oak Lane"},
        {"title": "Henderson final walk-through", "client_name": "Tom Henderson",
         "appointment_type": "site_visit", "start_time": cal.at(cal.day(2), 14),
         "end_time": cal.at(cal.day(2), 15), "status": "confirmed"},
        {"title": "Smith Dental: paint day", "client_name": "Dan Smith",
         "appointment_type": "job", "start_time": cal.at(cal.monday(0), 8),
         "end_time": cal.at(cal.monday(0), 16), "location": "Smith Dental"},
        {"title": "Consultation: Priya Shah", "client_name": "Priya Shah",
         "appointment_type": "consultation", "start_time": cal.at(cal.monday(2), 11),
         "end_time": cal.at(cal.monday(2), 12)},
    ]
    # fmt: on


def _proposals(cal: Calendar) -> list[dict]:
    # fmt: off
    return [
        {"proposal_number": "PRO-201", "title": "Kitchen cabinet refinishing",
         "client_name": "Maria Lopez", "status": "sent", "valid_until": cal.d(20),
         **totals(_line_items(("Cabinet doors", 18, 85), ("Cabinet boxes", 1, 900)), 7.0)},
        {"proposal_number": "PRO-202", "title": "Whole-house interior",
         "client_name": "Priya Shah", "status": "draft", "valid_until": cal.d(30),
         **totals(_line_items(("Rooms", 7, 650), ("Ceilings", 7, 180)), 7.0, 300.0)},
        {"proposal_number": "PRO-198", "title": "Office interior", "client_name": "Dan Smith",
         "status": "accepted", **totals(_line_items(("Office suites", 5, 1700)), 7.0)},
    ]
    # fmt: on


def _reviews(cal: Calendar) -> list[dict]:
    # fmt: off
    return [
        {"reviewer_name": "Grace Kim", "rating": 5, "platform": "google",
         "review_date": cal.d(-45), "comment": "Deck looks brand new. Careful, tidy crew."},
        {"reviewer_name": "Alan Cho", "rating": 4, "platform": "yelp", "review_date": cal.d(-30),
         "comment": "Great finish, started a day late."},
        {"reviewer_name": "Rita Gomez", "rating": 5, "platform": "houzz",
         "review_date": cal.d(-12), "comment": "Helped us pick colors and finished early.",
         "response": "Thank you, Rita!", "responded_at": cal.at(cal.day(-11), 10)},
        {"reviewer_name": "Mark Ellis", "rating": 3, "platform": "google",
         "review_date": cal.d(-3),
         "comment": "Good work but the crew left paint cans on the porch."},
    ]
    # fmt: on


def _campaigns(cal: Calendar) -> list[dict]:
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


def _tasks(cal: Calendar) -> list[dict]:
    # fmt: off
    return [
        {"title": "Order paint for Smith Dental", "priority": "high", "due_date": cal.d(-1)},
        {"title": "Send Henderson color samples", "priority": "medium", "due_date": cal.d(-4)},
        {"title": "Follow up with Priya Shah", "priority": "medium", "due_date": cal.d(2)},
        {"title": "Renew liability insurance", "priority": "urgent", "due_date": cal.d(12)},
        {"title": "Clean sprayer", "status": "done", "priority": "low", "due_date": cal.d(-6),
         "completed_at": cal.at(cal.day(-6), 17)},
        {"title": "Update website photos", "status": "in_progress", "priority": "low"},
    ]
    # fmt: on


def _goals(cal: Calendar) -> list[dict]:
    # fmt: off
    return [
        {"title": "Quarterly revenue", "metric": "revenue", "target_value": 60000,
         "current_value": 38500, "unit": "USD", "period_start": cal.d(-45),
         "period_end": cal.d(45)},
        {"title": "New clients this quarter", "metric": "new_clients", "target_value": 12,
         "current_value": 5, "period_start": cal.d(-45), "period_end": cal.d(45)},
        {"title": "Keep a 4.5+ rating", "metric": "average_rating", "target_value": 4.5,
         "current_value": 4.25},
    ]
    # fmt: on


TABLES = {
    "contacts": _contacts,
    "projects": _projects,
    "invoices": _invoices,
    "appointments": _appointments,
    "proposals": _proposals,
    "reviews": _reviews,
    "campaigns": _campaigns,
    "tasks": _tasks,
    "goals": _goals,
}
