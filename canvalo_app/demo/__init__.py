"""A realistic demo painting business for one user, dated relative to today.

Its times (appointments, replies, sends) are wall-clock times of the business's time zone.
The records are in work.py (contacts, projects, appointments, reviews, tasks) and money.py
(invoices, payments, proposals, campaigns, goals); base.py has what they share.
"""

from __future__ import annotations

from datetime import date

from ..agents.context import today_for
from ..store.base import UserStore
from . import money, work
from .base import PROFILE, Calendar, Link

__all__ = ["PROFILE", "seed_demo"]

#: Each table's rows, in the order they are written (a row may link to one written before).
TABLES = {
    "contacts": work.contacts,
    "projects": work.projects,
    "invoices": money.invoices,
    "payments": money.payments,
    "appointments": work.appointments,
    "proposals": money.proposals,
    "reviews": work.reviews,
    "campaigns": money.campaigns,
    "tasks": work.tasks,
    "goals": money.goals,
}


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
    written: dict[str, list[dict]] = {}
    for table, records in rows.items():
        written[table] = [
            store.create_record(table, _linked(record, written)) for record in records
        ]
    return {table: len(records) for table, records in rows.items()}


def _linked(record: dict, written: dict[str, list[dict]]) -> dict:
    """`record` with each `Link` in it replaced by the id of the row it names."""
    return {
        key: value.resolve(written) if isinstance(value, Link) else value
        for key, value in record.items()
    }
