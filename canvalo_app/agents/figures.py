"""Business figures over a period, computed from the user's own rows.

Each figure says which rows it counts, by a date the rows carry:

* revenue invoiced: invoices issued (`issue_date`) in the period, drafts and cancelled ones
  left out, at their total with tax;
* revenue collected: payments received (`paid_on`) in the period;
* new clients: contacts of type client added (`created_at`, in the business's time zone);
* average rating: reviews dated (`review_date`) in the period;
* jobs completed: completed projects finished (`completed_on`, not the planned `end_date`)
  in the period;
* proposals won: accepted proposals whose acceptance (`accepted_at`, in the business's time
  zone) falls in the period; a later edit does not move them.

Outstanding and overdue money, and the value of open proposals, are as of today.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..store.base import Filter, UserStore
from .domains.crud import ALL_ROWS
from .domains.receivables import OPEN, balance, is_overdue
from .stats import Period, average, breakdown, month_span, number

#: Invoices that bill nobody yet, or nobody any more.
NOT_BILLED = ("draft", "cancelled")
#: Proposals the client may still accept.
OPEN_PROPOSALS = ("sent", "viewed")
#: The overview's figures, charted one by one: title, unit, and whether it is of the period
#: (else of today).
OVERVIEW_FIGURES = {
    "revenue_invoiced": ("Revenue invoiced", "usd", True),
    "revenue_collected": ("Revenue collected", "usd", True),
    "outstanding": ("Outstanding", "usd", False),
    "overdue": ("Overdue", "usd", False),
    "new_clients": ("New clients", "count", True),
    "jobs_completed": ("Jobs completed", "count", True),
    "average_rating": ("Average rating", "rating", True),
    "proposals_won": ("Proposals won", "count", True),
    "open_proposals_value": ("Open proposals", "usd", False),
}
#: The goal metrics computed here (a custom goal keeps the value typed for it).
METRICS = ("revenue", "new_clients", "jobs_completed", "average_rating", "proposals_won")


def local_day(value: str, zone: ZoneInfo) -> date:
    """The business's day of a stored instant, or of a plain ISO date."""
    if "T" not in value:
        return date.fromisoformat(value)
    instant = datetime.fromisoformat(value)
    return (instant.astimezone(zone) if instant.tzinfo else instant).date()


def bounds(column: str, period: Period) -> list[Filter]:
    """Store filters keeping a date `column` within `period`."""
    edges = (("gte", period.start), ("lte", period.end))
    return [Filter(column, op, day.isoformat()) for op, day in edges if day is not None]


def around(column: str, period: Period) -> list[Filter]:
    """Store filters keeping an instant `column` within the UTC days of `period` and one
    more day on each side, which hold the period's days in any time zone."""
    edges = (("gte", period.start, -1), ("lt", period.end, 2))
    return [
        Filter(column, op, utc_midnight(day + timedelta(days=shift)))
        for op, day, shift in edges
        if day is not None
    ]


def utc_midnight(day: date) -> str:
    """The instant `day` begins in UTC, as the store keeps instants."""
    return datetime.combine(day, time(), UTC).isoformat()


def dated(
    store: UserStore,
    table: str,
    column: str,
    period: Period,
    filters: list[Filter] = (),
    *,
    descending: bool = False,
) -> list[dict]:
    """Rows of `table` whose date `column` lies in `period` (a date column, so the store
    compares it), oldest first unless `descending`."""
    rows = store.list_records(
        table,
        filters=[*filters, *bounds(column, period)],
        order_by=column,
        descending=descending,
        limit=ALL_ROWS,
    )
    return [row for row in rows if row[column] is not None]


def happened(
    store: UserStore, table: str, column: str, period: Period, zone: ZoneInfo, filters=()
) -> list[dict]:
    """Rows of `table` whose instant `column` falls on a day of `period` in `zone`: the
    store reads the UTC days around the period, and the business's days are told here."""
    rows = store.list_records(
        table, filters=[*filters, *around(column, period)], order_by=column, limit=ALL_ROWS
    )
    return [row for row in rows if row[column] and period.contains(local_day(row[column], zone))]


def cents(amounts) -> float:
    return round(sum(amounts), 2)


def invoices_issued(store: UserStore, period: Period) -> list[dict]:
    billed = [Filter("status", "not_in", list(NOT_BILLED))]
    return dated(store, "invoices", "issue_date", period, billed)


def payments_received(store: UserStore, period: Period) -> list[dict]:
    return dated(store, "payments", "paid_on", period)


def revenue_invoiced(store: UserStore, period: Period) -> float:
    return cents(invoice["total_amount"] for invoice in invoices_issued(store, period))


def revenue_collected(store: UserStore, period: Period) -> float:
    return cents(payment["amount"] for payment in payments_received(store, period))


def new_clients(store: UserStore, period: Period, zone: ZoneInfo) -> list[dict]:
    clients = [Filter("contact_type", "eq", "client")]
    return happened(store, "contacts", "created_at", period, zone, clients)


def average_rating(store: UserStore, period: Period) -> tuple[float | None, int]:
    """The mean rating of the period's reviews (to two decimals) and how many there were."""
    ratings = [review["rating"] for review in dated(store, "reviews", "review_date", period)]
    return average(ratings), len(ratings)


def jobs_completed(store: UserStore, period: Period) -> list[dict]:
    done = [Filter("status", "eq", "completed")]
    return dated(store, "projects", "completed_on", period, done)


def proposals_won(store: UserStore, period: Period, zone: ZoneInfo) -> list[dict]:
    accepted = [Filter("status", "eq", "accepted")]
    return happened(store, "proposals", "accepted_at", period, zone, accepted)


def open_proposals_value(store: UserStore) -> float:
    rows = store.list_records(
        "proposals", filters=[Filter("status", "in", list(OPEN_PROPOSALS))], limit=ALL_ROWS
    )
    return cents(proposal["total_amount"] for proposal in rows)


def receivables(store: UserStore, today: date) -> dict:
    """What clients owe today, and how much of it is overdue."""
    rows = store.list_records(
        "invoices", filters=[Filter("status", "in", list(OPEN))], limit=ALL_ROWS
    )
    return {
        "outstanding": cents(balance(invoice) for invoice in rows),
        "overdue": cents(balance(invoice) for invoice in rows if is_overdue(invoice, today)),
        "open_count": len(rows),
    }


def metric_value(metric: str, store: UserStore, period: Period, zone: ZoneInfo) -> float | None:
    """A goal metric over `period` (one of METRICS); None for a rating with no reviews."""
    if metric == "revenue":
        return revenue_collected(store, period)
    if metric == "new_clients":
        return len(new_clients(store, period, zone))
    if metric == "jobs_completed":
        return len(jobs_completed(store, period))
    if metric == "average_rating":
        return average_rating(store, period)[0]
    if metric == "proposals_won":
        return len(proposals_won(store, period, zone))
    raise ValueError(f"unknown metric {metric!r}")


def months(period: Period) -> list[tuple[date, date]]:
    """The calendar months `period` touches, each cut to the period (none if unbounded)."""
    if period.start is None or period.end is None:
        return []
    spans, first = [], period.start.replace(day=1)
    while first <= period.end:
        _, last = month_span(first.year, first.month)
        spans.append((max(first, period.start), min(last, period.end)))
        first = last + timedelta(days=1)
    return spans


def monthly(rows: list[dict], column: str, amount: str, period: Period) -> list[tuple[str, float]]:
    """Sums of `amount` per month of `period`, by each row's date `column`: "Nov 2026"."""
    return [
        (
            start.strftime("%b %Y"),
            cents(
                row[amount] for row in rows if start.isoformat() <= row[column] <= end.isoformat()
            ),
        )
        for start, end in months(period)
    ]


def overview(store: UserStore, period: Period, today: date, zone: ZoneInfo) -> dict:
    """The business at a glance: the period's figures, and what is owed and open today."""
    rating, reviews = average_rating(store, period)
    return {
        "revenue_invoiced": revenue_invoiced(store, period),
        "revenue_collected": revenue_collected(store, period),
        **receivables(store, today),
        "new_clients": len(new_clients(store, period, zone)),
        "jobs_completed": len(jobs_completed(store, period)),
        "average_rating": rating,
        "review_count": reviews,
        "proposals_won": len(proposals_won(store, period, zone)),
        "open_proposals_value": open_proposals_value(store),
    }


def overview_stats(seen: dict, period: Period) -> list[dict]:
    """The overview as chartable figures: one number each, and what is owed split by due."""
    stats = [
        number(title, seen[key], unit, period if of_period else None)
        for key, (title, unit, of_period) in OVERVIEW_FIGURES.items()
        if seen[key] is not None
    ]
    not_due = round(seen["outstanding"] - seen["overdue"], 2)
    owed = [("Not yet due", not_due), ("Overdue", seen["overdue"])]
    return [*stats, breakdown("Money owed", owed, "usd")]
