"""How values read to people: amounts, counts, percents, days and times of day.

Pure functions with no knowledge of any model, used by the tools' summaries and by the
offline model's answers alike.
"""

from __future__ import annotations

import math
from datetime import date, time


def money(value: float) -> str:
    """$1,250.00 (negative amounts as -$1,250.00)."""
    return f"{'-' if value < 0 else ''}${abs(value):,.2f}"


def plural(count: int, noun: str) -> str:
    """ "1 invoice", "3 invoices"."""
    return f"{count} {noun}{'s' * (count != 1)}"


def percent_of(part: float, whole: float) -> float | None:
    """`part` as a percent of `whole`, to one decimal; None when there is no such number (a
    zero whole, or a ratio too large for a float)."""
    if not whole:
        return None
    value = 100 * part / whole
    return round(value, 1) if math.isfinite(value) else None


def day(value: date | str) -> str:
    """A date (or an ISO date or datetime string) for people: "Tuesday, December 1, 2026"."""
    value = date.fromisoformat(value[:10]) if isinstance(value, str) else value
    return f"{value:%A, %B} {value.day}, {value.year}"


def clock(value: time | str) -> str:
    """A time of day for people: "10:00 AM", "2:30 PM" (from a time, "HH:MM" or ISO datetime,
    read as written: an ISO datetime gives the wall-clock time of its own offset)."""
    if isinstance(value, str):
        value = time.fromisoformat(value[11:16] if "T" in value else value)
    return f"{value.hour % 12 or 12}:{value.minute:02d} {'AM' if value.hour < 12 else 'PM'}"
