"""Figures a front end can chart, and the periods they cover.

A tool that computes figures returns them under `stat_data` in its result: a list of stats,
each made by `number`, `series` or `breakdown`. The turn sends each one to the client as a
`stat_data` event and keeps them in the answer's metadata (see `stat_events`).

A period is named (`this_month`, `last_quarter`, …) or given by its dates; `PeriodInput`
is the tool input that takes either, and `period_of` turns it into a `Period`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from marshmallow import ValidationError, fields, validate, validates_schema

from .tools import ToolInput

KINDS = ("number", "series", "breakdown")
#: What a value counts: dollars, a count of things, a percentage, stars (1–5), days, hours.
UNITS = ("usd", "count", "percent", "rating", "days", "hours")
PERIODS = (
    "this_month",
    "last_month",
    "this_quarter",
    "last_quarter",
    "this_year",
    "last_year",
    "year_to_date",
    "last_30_days",
    "last_90_days",
    "all_time",
)


@dataclass(frozen=True)
class Period:
    """Days from `start` to `end`, both included; None on a side: unbounded."""

    start: date | None
    end: date | None
    label: str

    def contains(self, day: date | None) -> bool:
        """Whether `day` is one of the period's days. An instant must first be made the
        business's day (figures.local_day): its UTC date may be another day."""
        if day is None:
            return False
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)

    def as_dict(self) -> dict:
        return {
            "label": self.label,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
        }


def average(values: list[float]) -> float | None:
    """The mean to two decimals; None for no values (an average rating of no reviews)."""
    return round(sum(values) / len(values), 2) if values else None


def month_span(year: int, month: int) -> tuple[date, date]:
    """The first and last day of a calendar month."""
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def _quarter(year: int, quarter: int) -> tuple[date, date]:
    first, _ = month_span(year, 3 * quarter - 2)
    _, last = month_span(year, 3 * quarter)
    return first, last


def named_period(name: str, today: date) -> Period:
    """The period `name` (one of PERIODS) as seen on `today`."""
    label = name.replace("_", " ")
    year, quarter = today.year, (today.month - 1) // 3 + 1
    if name == "this_month":
        return Period(*month_span(year, today.month), today.strftime("%B %Y"))
    if name == "last_month":
        start, end = month_span(year - (today.month == 1), (today.month - 2) % 12 + 1)
        return Period(start, end, start.strftime("%B %Y"))
    if name in ("this_quarter", "last_quarter"):
        if name == "last_quarter":
            year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
        return Period(*_quarter(year, quarter), f"Q{quarter} {year}")
    if name in ("this_year", "last_year"):
        year -= name == "last_year"
        return Period(date(year, 1, 1), date(year, 12, 31), str(year))
    if name == "year_to_date":
        return Period(date(year, 1, 1), today, f"{year} to date")
    if name in ("last_30_days", "last_90_days"):
        return Period(today - timedelta(days=int(name.split("_")[1]) - 1), today, label)
    return Period(None, None, "all time")


class PeriodInput(ToolInput):
    """A tool input that takes a period by name or by its dates (not both)."""

    period = fields.String(
        validate=validate.OneOf(PERIODS),
        metadata={"description": "A named period; or give start and end instead."},
    )
    start = fields.Date(metadata={"description": "First day, YYYY-MM-DD."})
    end = fields.Date(metadata={"description": "Last day, YYYY-MM-DD (default: today)."})

    @validates_schema
    def one_way(self, data, **kwargs):
        if "period" in data and ("start" in data or "end" in data):
            raise ValidationError("Give a named period or dates, not both.", "period")
        if "start" in data and "end" in data and data["end"] < data["start"]:
            raise ValidationError("The end is before the start.", "end")


def period_of(args: dict, today: date, default: str = "this_month") -> Period:
    """The period a `PeriodInput` asked for (`default` when it named none).

    A start without an end runs to `today`, the business's day, which the schema cannot
    know: a start after it is refused here, as the schema refuses an end before the start.
    """
    if "start" in args or "end" in args:
        start, end = args.get("start"), args.get("end") or today
        if start and start > end:
            message = (
                f"The start ({start.isoformat()}) is after today ({today.isoformat()}): "
                "give an end date as well, or a start on or before today."
            )
            raise ValidationError({"start": [message]})
        label = f"{start.isoformat() if start else 'the start'} to {end.isoformat()}"
        return Period(start, end, label)
    return named_period(args.get("period", default), today)


def value(label: str, amount: float | int | None, unit: str) -> dict:
    """One labelled figure: `unit` is one of UNITS."""
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}")
    return {"label": label, "value": amount, "unit": unit}


def _stat(title: str, kind: str, values: list[dict], period: Period | None) -> dict:
    return {"title": title, "kind": kind, "values": values, "period": period and period.as_dict()}


def number(title: str, amount, unit: str, period: Period | None = None) -> dict:
    """A single figure ("Revenue collected: $12,400")."""
    return _stat(title, "number", [value(title, amount, unit)], period)


def series(title: str, points: list[tuple[str, float]], unit: str, period=None) -> dict:
    """Figures in order, one per label (a month, a week): a line or bar chart."""
    return _stat(title, "series", [value(label, amount, unit) for label, amount in points], period)


def breakdown(title: str, parts: list[tuple[str, float]], unit: str, period=None) -> dict:
    """Parts of a whole (by status, by channel): a pie or stacked bar."""
    return _stat(
        title, "breakdown", [value(label, amount, unit) for label, amount in parts], period
    )


def stat_events(tool_name: str, agent_type: str, result: dict) -> list[tuple[str, dict]]:
    """The `stat_data` events of a tool's result (none when it has no figures)."""
    stats = result.get("stat_data") if isinstance(result, dict) else None
    return [
        ("stat_data", {"tool_name": tool_name, "agent_type": agent_type, **stat})
        for stat in stats or ()
    ]
