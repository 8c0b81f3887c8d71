"""The appointments agent: the contractor's calendar, clashes, moves and free time.

Times are the business's: a time given without an offset is a wall-clock time in its time
zone, and days, "upcoming" and working hours are its days and hours. The store keeps them in
UTC and results show them in the business's zone (see `..zone`). A booking's client name
is linked to the one contact it names ("the Hendersons", "Mrs. Henderson", "Tom Henderson").
"""

from __future__ import annotations

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from marshmallow import fields, validate

from ...store.base import Filter, Search
from ..context import business_profile
from ..formatting import day
from ..tools import Agent, Reference, ToolContext, ToolError, ToolInput
from ..zone import stored, wall_clock
from .appointment_clients import NOT_BOOKED, linked
from .appointment_moves import (
    DEFAULT_MINUTES,
    Day,
    Move,
    Span,
    conflicts,
    duration_field,
    label,
    not_past,
    open_hours,
    reschedule,
    span,
)
from .contacts import not_blank
from .crud import Paging, RecordId, add_cancel_tool, add_crud_tools, status_field
from .free_time import free_windows, work_days, working_hours

STATUSES = ("scheduled", "confirmed", "completed", "cancelled", "no_show")
#: Statuses that create_appointment and update_appointment leave to their own tools.
OWN_TOOLS = {"cancelled": "cancel_appointment"}
TYPES = ("estimate", "consultation", "site_visit", "job", "follow_up", "other")
UPCOMING = ("scheduled", "confirmed")
#: How a refusal for a clash begins.
OVERLAPS = "That time overlaps"

agent = Agent(
    name="appointments",
    description="The calendar: booking, listing and cancelling appointments; free time.",
    instructions=(
        "You manage the contractor's calendar. Before booking, make sure you have the day and "
        "time; if either is missing, offer free slots from suggest_free_slots and ask. "
        "create_appointment refuses a time that overlaps another appointment: tell the user "
        "and book anyway (allow_overlap) only if they say so. A client's name is linked to "
        "the one contact it names; if several match, ask which. Find an appointment with "
        "list_appointments before moving, changing or cancelling it; if several match, ask "
        "which. Move one with reschedule_appointment: on a clash it moves nothing and gives "
        "the nearest free times to offer. If a date does not exist (February 30), ask for "
        "the right one. Never invent appointments, people or times."
    ),
)


class AppointmentFields(Span):
    title = fields.String(required=True, validate=validate.Length(1, 200))
    client_name = fields.String(
        validate=[validate.Length(1, 200), not_blank],
        metadata={"description": "Who it is with; linked to the one contact it names."},
    )
    contact_id = Reference(
        "contacts", "contact", metadata={"description": "The client's contact record."}
    )
    project_id = Reference(
        "projects", "project", metadata={"description": "The project it is about."}
    )
    appointment_type = fields.String(validate=validate.OneOf(TYPES))
    location = fields.String(validate=validate.Length(max=500))
    status = status_field(STATUSES, OWN_TOOLS)
    notes = fields.String(validate=validate.Length(max=2000))
    allow_overlap = fields.Boolean(
        metadata={"description": "Book even though it overlaps; only after the user agreed."}
    )


class AppointmentUpdate(RecordId, AppointmentFields):
    pass


class AppointmentList(Paging):
    status = fields.String(validate=validate.OneOf(STATUSES))
    search = fields.String(
        validate=validate.Length(1, 200),
        metadata={"description": "Text in the title, client or location."},
    )
    from_date = Day(metadata={"description": "Starting on or after this day."})
    to_date = Day(metadata={"description": "Starting on or before this day."})
    upcoming_only = fields.Boolean(
        metadata={"description": "Only scheduled or confirmed, from today."}
    )
    include_cancelled = fields.Boolean(metadata={"description": "Also cancelled ones."})


class ConflictCheck(Span):
    exclude_id = Reference(
        "appointments",
        "appointment",
        metadata={"description": "An appointment to leave out (when moving it)."},
    )


class SlotRequest(ToolInput):
    date = Day(metadata={"description": "One day to look at; default the next work days."})
    days = fields.Integer(
        load_default=3, validate=validate.Range(1, 14), metadata={"description": "Work days."}
    )
    duration_minutes = duration_field()


def day_start(value: date, zone: ZoneInfo) -> str:
    """When day `value` begins in `zone`, as the store keeps times."""
    return stored(wall_clock(value, time(), zone), zone)


def list_filters(args: dict, ctx: ToolContext) -> tuple[list[Filter], Search | None]:
    if "status" in args:
        filters = [Filter("status", "eq", args["status"])]
    else:
        filters = [] if args.get("include_cancelled") else [Filter("status", "neq", "cancelled")]
    begins = lambda on: Filter("start_time", "gte", day_start(on, ctx.zone))  # noqa: E731
    if args.get("upcoming_only"):
        filters += [Filter("status", "in", list(UPCOMING)), begins(ctx.today)]
    if "from_date" in args:
        filters.append(begins(args["from_date"]))
    if "to_date" in args:
        next_day = args["to_date"] + timedelta(days=1)
        filters.append(Filter("start_time", "lt", day_start(next_day, ctx.zone)))
    columns = ("title", "client_name", "location")
    return filters, Search(columns, args["search"]) if "search" in args else None


def prepare(values: dict, ctx: ToolContext, existing: dict | None) -> dict:
    """Work out the end time, refuse end-before-start, an upcoming appointment in the past,
    and overlaps unless allowed."""
    values = dict(values)
    allow_overlap = values.pop("allow_overlap", False)
    if existing and not {"start_time", "end_time", "duration_minutes"} & set(values):
        return values
    start, end = span(values, ctx.zone, existing)
    # A completed or missed appointment may be recorded after the fact; a booking may not.
    status = values.get("status") or (existing or {}).get("status") or "scheduled"
    if "start_time" in values and status in UPCOMING:
        not_past(ctx, start, NOT_BOOKED if existing is None else "Nothing was changed")
    values.pop("duration_minutes", None)
    values.update(start_time=stored(start, ctx.zone), end_time=stored(end, ctx.zone))
    clashes = [] if allow_overlap else conflicts(ctx, start, end, existing and existing["id"])
    if clashes:
        taken = "; ".join(label(row) for row in clashes)
        raise ToolError(
            f"{OVERLAPS} {taken}. {NOT_BOOKED}: pick another time or, if the user "
            "agrees, book it anyway with allow_overlap."
        )
    return values


add_crud_tools(
    agent,
    "appointments",
    "appointment",
    "appointments",
    create=AppointmentFields(),
    update=AppointmentUpdate(partial=tuple(AppointmentFields().fields)),
    list_schema=AppointmentList(),
    list_filters=list_filters,
    label=lambda appointment: "appointment " + label(appointment),
    order_by="start_time",
    descending=False,
    prepare=prepare,
)


_create = agent.tools["create_appointment"]


@agent.tool(
    "create_appointment",
    _create.schema,
    "Book an appointment. Its client_name is linked to the one contact it names; with none, "
    "it keeps the name only.",
)
def create_appointment(ctx: ToolContext, args: dict) -> dict:
    args, contact = linked(ctx, args)
    result = _create.run(ctx, args)
    if contact:
        return {**result, "contact": contact, "summary": f"{result['summary']} with {contact}"}
    if name := args.get("client_name"):
        note = f"No contact matches “{name}”, so it is booked with the name only."
        return {**result, "contact": None, "note": note, "summary": f"{result['summary']}. {note}"}
    return result


agent.tool(
    "reschedule_appointment",
    Move(),
    "Move an appointment to a new time, keeping its length unless one is given. On a clash "
    "nothing moves and the result offers the nearest free times.",
)(reschedule)


@agent.tool("check_conflicts", ConflictCheck(), "Appointments that overlap a proposed time.")
def check_conflicts(ctx: ToolContext, args: dict) -> dict:
    start, end = span(args, ctx.zone)
    clashes = conflicts(ctx, start, end, args.get("exclude_id"))
    local_start, local_end = start.astimezone(ctx.zone), end.astimezone(ctx.zone)
    when = f"{day(local_start.date())} {local_start:%H:%M}-{local_end:%H:%M}"
    summary = f"{len(clashes)} conflict(s) on {when}" if clashes else f"{when} is free"
    return {
        "start_time": stored(start, ctx.zone),
        "end_time": stored(end, ctx.zone),
        "conflicts": clashes,
        "has_conflict": bool(clashes),
        "summary": summary,
    }


@agent.tool(
    "suggest_free_slots",
    SlotRequest(),
    "Free windows long enough for an appointment, within working hours and not yet begun, on "
    "one day or the next work days (from tomorrow).",
)
def suggest_free_slots(ctx: ToolContext, args: dict) -> dict:
    days = [args["date"]] if "date" in args else work_days(ctx.today, args["days"])
    minutes = args.get("duration_minutes") or DEFAULT_MINUTES
    hours = working_hours(business_profile(ctx.store))
    windows = []
    for on in days:
        opens, closes = open_hours(ctx, on, hours)
        busy = conflicts(ctx, opens, closes)
        windows += free_windows(on, opens, closes, busy, minutes, ctx.zone)
    return {
        "windows": windows,
        "days_checked": [on.isoformat() for on in days],
        "duration_minutes": minutes,
        "working_hours": {"start": f"{hours[0]:%H:%M}", "end": f"{hours[1]:%H:%M}"},
        "summary": f"{len(windows)} free window(s) of at least {minutes} minutes",
    }


add_cancel_tool(
    agent,
    "appointments",
    "appointment",
    description="Cancel an appointment (asks the user to confirm first).",
    finished=("cancelled", "completed"),
    label=lambda appointment: "the appointment " + label(appointment),
    refusal=lambda appointment: f"{label(appointment)} is already {appointment['status']}.",
)
