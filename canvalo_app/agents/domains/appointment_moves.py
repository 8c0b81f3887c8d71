"""When an appointment can be: the times a tool takes, an appointment's span, what it clashes
with, and moving it — refused on a clash, with the nearest free times offered instead, and
refused into the past.

Times are the business's: a time given without an offset is a wall-clock time in its time
zone; the store keeps UTC (see `..zone`). Its "now" is the clock's, kept within the turn's
day, and no free time offered has already begun.
"""

from __future__ import annotations

import calendar
import math
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from marshmallow import ValidationError, fields, validate

from ...store.base import Filter
from ..context import business_profile
from ..formatting import day
from ..tools import Reference, ToolContext, ToolError, ToolInput
from ..zone import moment, shown, stored, wall_clock
from .crud import fetch
from .free_time import Gap, gaps, nearest_starts, work_days, working_hours

DEFAULT_MINUTES = 60
#: Free time offered today starts at the next quarter hour or later.
QUARTER = timedelta(minutes=15)
#: Work days after the wanted one in which free times are looked for when a move clashes.
ALTERNATIVE_DAYS = 3
#: Statuses an appointment cannot be moved from.
UNMOVABLE = ("cancelled", "completed")
NOT_MOVED = "Nothing was moved"
_ISO_DAY = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})")


def no_such_day(text: str) -> str | None:
    """Why an ISO date (or date and time) names no day — "2027-02-30": February 2027 has 28
    days — or None when its day exists or it is not an ISO date at all."""
    match = _ISO_DAY.match(text)
    if not match:
        return None
    year, month, day_of_month = map(int, match.groups())
    try:
        date(year, month, day_of_month)
        return None
    except ValueError:
        pass
    if 1 <= month <= 12:
        name, days = calendar.month_name[month], calendar.monthrange(year, month)[1]
        why = f"{name} {year} has {days} days"
    else:
        why = f"there is no month {month}"
    return f"{match[0].strip()} is not a date: {why}. Ask the user which day they meant."


class _NamesMissingDays:
    """A date field that says why a day that does not exist is refused."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return super()._deserialize(value, attr, data, **kwargs)
        except ValidationError:
            if isinstance(value, str) and (reason := no_such_day(value)):
                raise ValidationError(reason) from None
            raise


class WallTime(_NamesMissingDays, fields.DateTime):
    """A date and time, local to the business unless it has an offset."""


class Day(_NamesMissingDays, fields.Date):
    """A day, YYYY-MM-DD."""


def duration_field() -> fields.Integer:
    return fields.Integer(
        validate=validate.Range(5, 24 * 60),
        metadata={"description": f"Length in minutes (default {DEFAULT_MINUTES})."},
    )


class Span(ToolInput):
    start_time = WallTime(
        required=True,
        metadata={"description": "ISO date and time, local to the business: 2026-12-01T10:00."},
    )
    end_time = WallTime(metadata={"description": "ISO date and time it ends (local)."})
    duration_minutes = duration_field()


class Move(Span):
    id = Reference(
        "appointments",
        "appointment",
        required=True,
        metadata={"description": "The appointment to move."},
    )
    start_time = WallTime(
        required=True,
        metadata={"description": "The new ISO date and time, local: 2026-12-04T10:00."},
    )
    allow_overlap = fields.Boolean(
        metadata={"description": "Move it even though it overlaps; only after the user agreed."}
    )


def label(appointment: dict) -> str:
    """“Title” on its day at its time, for an appointment as shown (in the business's zone)."""
    start = datetime.fromisoformat(appointment["start_time"])
    return f"“{appointment['title']}” on {day(start.date())} at {start:%H:%M}"


def brief(appointment: dict, zone: ZoneInfo) -> dict:
    keys = ("id", "title", "client_name", "start_time", "end_time", "status", "location")
    return shown({key: appointment[key] for key in keys}, zone)


def span(values: dict, zone: ZoneInfo, existing: dict | None = None) -> tuple[datetime, datetime]:
    """Start and end (aware, UTC) from the given start, end or duration (an old booking fills
    the gaps). Lengths are elapsed time, so they hold across a change of clocks."""
    if values.get("end_time") and values.get("duration_minutes"):
        raise ToolError("Give an end time or a duration, not both.")
    start = moment(values.get("start_time") or existing["start_time"], zone)
    if values.get("duration_minutes"):
        end = start + timedelta(minutes=values["duration_minutes"])
    elif values.get("end_time"):
        end = moment(values["end_time"], zone)
    elif existing:  # moved: keep its length
        end = start + (moment(existing["end_time"], zone) - moment(existing["start_time"], zone))
    else:
        end = start + timedelta(minutes=DEFAULT_MINUTES)
    if end <= start:
        raise ToolError("The appointment must end after it starts.")
    return start, end


def business_now(ctx: ToolContext) -> datetime:
    """The business's present moment (aware, UTC): the clock's, kept within the turn's day
    (`ctx.today` in its zone), so that "now" and "today" never disagree."""
    first = wall_clock(ctx.today, time(), ctx.zone)
    following = wall_clock(ctx.today + timedelta(days=1), time(), ctx.zone)
    return min(max(datetime.now(UTC), first), following)


def not_past(ctx: ToolContext, start: datetime, undone: str) -> None:
    """Refuse a start before the business's now; `undone` says what was left undone."""
    if start < business_now(ctx):
        local = start.astimezone(ctx.zone)
        raise ToolError(
            f"{day(local.date())} at {local:%H:%M} is in the past; which day did you mean? "
            f"{undone}."
        )


def open_hours(ctx: ToolContext, on: date, hours: tuple[time, time]) -> Gap:
    """When working `hours` open and close on day `on`; today they open at the next quarter
    hour at the earliest, so that no free time has begun."""
    opens, closes = (wall_clock(on, hour, ctx.zone) for hour in hours)
    now = business_now(ctx)
    hour = now.replace(minute=0, second=0, microsecond=0)
    soonest = hour + QUARTER * math.ceil((now - hour) / QUARTER)
    return min(max(opens, soonest), closes), closes


def conflicts(ctx: ToolContext, start: datetime, end: datetime, skip=None) -> list[dict]:
    """The caller's appointments (not cancelled) overlapping start-end, except `skip`."""
    rows = ctx.store.list_records(
        "appointments",
        filters=[
            Filter("status", "neq", "cancelled"),
            Filter("start_time", "lt", stored(end, ctx.zone)),
            Filter("end_time", "gt", stored(start, ctx.zone)),
        ],
        order_by="start_time",
        limit=100,
    )
    return [brief(row, ctx.zone) for row in rows if row["id"] != (str(skip) if skip else None)]


def free_on(ctx: ToolContext, on: date, skip=None) -> list[Gap]:
    """The free stretches of day `on` within working hours and not yet begun, leaving
    appointment `skip` out."""
    opens, closes = open_hours(ctx, on, working_hours(business_profile(ctx.store)))
    return gaps(opens, closes, conflicts(ctx, opens, closes, skip), ctx.zone)


def alternatives(ctx: ToolContext, start: datetime, end: datetime, skip=None) -> list[dict]:
    """The free times nearest to start-end, as long, in working hours, from now on: on its
    day and the next few work days, leaving appointment `skip` out."""
    on = start.astimezone(ctx.zone).date()
    days = [d for d in [on, *work_days(on, ALTERNATIVE_DAYS)] if d >= ctx.today]
    free = [gap for d in days for gap in free_on(ctx, d, skip)]
    return [
        {"start_time": stored(s, ctx.zone), "end_time": stored(s + (end - start), ctx.zone)}
        for s in nearest_starts(start, end - start, free, ctx.zone)
    ]


def reschedule(ctx: ToolContext, args: dict) -> dict:
    """Move an appointment, keeping its length unless a new one is given; refused into the
    past, and on a clash left where it is with the nearest free times offered."""
    existing = fetch(ctx, "appointments", args["id"], "appointment")
    was = shown(existing, ctx.zone)
    if existing["status"] in UNMOVABLE:
        raise ToolError(f"{label(was)} is {existing['status']}: book a new appointment instead.")
    start, end = span(args, ctx.zone, existing)
    not_past(ctx, start, NOT_MOVED)
    clashes = [] if args.get("allow_overlap") else conflicts(ctx, start, end, existing["id"])
    if clashes:
        return _refused(ctx, was, start, end, clashes)
    times = {"start_time": stored(start, ctx.zone), "end_time": stored(end, ctx.zone)}
    record = ctx.store.update_record("appointments", existing["id"], times)
    moved_to = datetime.fromisoformat(shown(record, ctx.zone)["start_time"])
    return {
        "appointment": record,
        "moved": True,
        "previous": {key: existing[key] for key in ("start_time", "end_time")},
        "summary": f"Moved {label(was)} to {day(moved_to.date())} at {moved_to:%H:%M}",
    }


def _refused(ctx: ToolContext, was: dict, start: datetime, end: datetime, clashes) -> dict:
    local = start.astimezone(ctx.zone)
    taken = "; ".join(label(row) for row in clashes)
    offered = alternatives(ctx, start, end, was["id"])
    return {
        "moved": False,
        "appointment": brief(was, ctx.zone),
        "requested": {"start_time": stored(start, ctx.zone), "end_time": stored(end, ctx.zone)},
        "conflicts": clashes,
        "alternatives": offered,
        "note": (
            f"{NOT_MOVED}. Offer the user the nearest free times in alternatives; move it "
            "anyway with allow_overlap only if they say so."
        ),
        "summary": f"Not moved: {day(local.date())} at {local:%H:%M} overlaps {taken}",
    }
