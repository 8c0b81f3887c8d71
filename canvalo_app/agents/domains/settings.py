"""The settings agent: the business profile (one row per user) and goals with their progress."""

from __future__ import annotations

from datetime import date
from zoneinfo import available_timezones

from marshmallow import ValidationError, fields, validate, validates_schema

from ...store.base import Filter, Search
from .. import figures
from ..context import business_profile
from ..formatting import money, percent_of
from ..stats import Period, PeriodInput, breakdown, period_of
from ..tools import Agent, Amount, ToolContext, ToolError, ToolInput
from .crud import ALL_ROWS, Paging, RecordId, add_crud_tools, dumpable, fetch

METRICS = ("revenue", "jobs_completed", "new_clients", "average_rating", "proposals_won", "custom")
GOAL_STATUSES = ("active", "achieved", "missed", "paused")
HOUR = validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", error="Use 24-hour HH:MM.")

agent = Agent(
    name="settings",
    description="The business profile (name, rates, terms, hours) and business goals.",
    instructions=(
        "You manage the contractor's business profile and goals. Read the profile or the "
        "goals before changing them, and change only the fields the user named. Use "
        "goal_progress for how goals are going (it counts revenue, clients, jobs, ratings and "
        "proposals won from the records), and business_overview for how the business is doing "
        "over a period. Ask for missing values (a goal needs a title and a target); never "
        "invent figures."
    ),
)


def known_timezone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError("Unknown time zone; use an IANA name such as America/Chicago.")


class GoalFields(ToolInput):
    title = fields.String(
        required=True, validate=validate.Length(1, 200), metadata={"description": "The goal."}
    )
    metric = fields.String(
        validate=validate.OneOf(METRICS), metadata={"description": "What is measured."}
    )
    target_value = Amount(
        positive=True, required=True, metadata={"description": "The value to reach."}
    )
    current_value = Amount(
        metadata={
            "description": "Where it stands now; only custom goals use it (others are "
            "counted from the records)."
        }
    )
    unit = fields.String(
        validate=validate.Length(max=20), metadata={"description": "Unit, e.g. USD or jobs."}
    )
    period_start = fields.Date(metadata={"description": "First day of the goal's period."})
    period_end = fields.Date(metadata={"description": "Last day of the goal's period."})
    status = fields.String(
        validate=validate.OneOf(GOAL_STATUSES), metadata={"description": "The goal's state."}
    )
    notes = fields.String(validate=validate.Length(max=2000), metadata={"description": "Notes."})

    @validates_schema
    def period_in_order(self, data: dict, **kwargs) -> None:
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            raise ValidationError("The period must end on or after its start.", "period_end")


class GoalUpdate(RecordId, GoalFields):
    pass


class GoalList(Paging):
    status = fields.String(
        validate=validate.OneOf(GOAL_STATUSES), metadata={"description": "Only this state."}
    )
    metric = fields.String(
        validate=validate.OneOf(METRICS), metadata={"description": "Only this metric."}
    )


class GoalProgressInput(ToolInput):
    id = fields.UUID(metadata={"description": "One goal; omit for every active goal."})


class ProfileInput(ToolInput):
    business_name = fields.String(validate=validate.Length(1, 200))
    owner_name = fields.String(validate=validate.Length(1, 200))
    email = fields.Email(validate=validate.Length(max=254))
    phone = fields.String(validate=validate.Length(1, 40))
    address = fields.String(validate=validate.Length(1, 500))
    service_area = fields.String(validate=validate.Length(1, 500))
    services = fields.String(
        validate=validate.Length(1, 1000), metadata={"description": "Services offered."}
    )
    hourly_rate = Amount(maximum=10_000, metadata={"description": "Labour rate in dollars."})
    default_tax_rate = fields.Float(
        validate=validate.Range(0, 100), metadata={"description": "Sales tax percent."}
    )
    payment_terms_days = fields.Integer(
        validate=validate.Range(0, 365), metadata={"description": "Days until invoices are due."}
    )
    working_hours_start = fields.String(validate=HOUR, metadata={"description": "HH:MM."})
    working_hours_end = fields.String(validate=HOUR, metadata={"description": "HH:MM."})
    timezone = fields.String(validate=known_timezone, metadata={"description": "IANA time zone."})
    email_notifications = fields.Boolean(
        metadata={"description": "Whether the business gets e-mail notifications."}
    )

    @validates_schema
    def hours_in_order(self, data: dict, **kwargs) -> None:
        start, end = data.get("working_hours_start"), data.get("working_hours_end")
        if start and end and end <= start:
            raise ValidationError("Working hours must end after they start.", "working_hours_end")


def goal_label(goal: dict) -> str:
    return f"the goal “{goal['title']}”"


def goal_filters(args: dict, ctx: ToolContext) -> tuple[list[Filter], Search | None]:
    return [Filter(key, "eq", args[key]) for key in ("status", "metric") if key in args], None


add_crud_tools(
    agent,
    "goals",
    "goal",
    "goals",
    create=GoalFields(),
    update=GoalUpdate(partial=tuple(GoalFields().fields)),
    list_schema=GoalList(),
    list_filters=goal_filters,
    label=goal_label,
)


@agent.tool("get_business_profile", ToolInput(), "Read the business profile.")
def get_business_profile(ctx: ToolContext, args: dict) -> dict:
    profile = business_profile(ctx.store)
    if profile is None:
        return {"profile": None, "summary": "No business profile has been set up yet"}
    return {
        "profile": profile,
        "summary": f"Profile of {profile['business_name'] or 'the business'}",
    }


@agent.tool(
    "update_business_profile",
    ProfileInput(),
    "Change fields of the business profile (creates it if there is none yet).",
)
def update_business_profile(ctx: ToolContext, args: dict) -> dict:
    if not args:
        raise ToolError("Nothing to change was given.")
    values = dumpable(args)
    existing = business_profile(ctx.store)
    if existing is None:
        profile = ctx.store.create_record("business_settings", values)
    else:
        profile = ctx.store.update_record("business_settings", existing["id"], values)
    return {
        "profile": profile,
        "changed": sorted(values),
        "summary": "Updated the business profile: " + ", ".join(sorted(values)),
    }


def elapsed_percent(start: date | None, end: date | None, today: date) -> float | None:
    """How much of the goal's period has passed, 0-100; None without a full period."""
    if not (start and end):
        return None
    span = max((end - start).days, 1)
    return round(100 * min(max((today - start).days, 0), span) / span, 1)


UNITS = {"revenue": "usd", "average_rating": "rating"}
#: What a rating goal says when its period has no reviews, and so no current value.
NO_REVIEWS = "No reviews in the period yet."


def goal_period(goal: dict) -> Period:
    first, last = goal["period_start"], goal["period_end"]
    label = f"{first or 'the start'} to {last or 'today'}" if first or last else "all time"
    return Period(*(date.fromisoformat(d) if d else None for d in (first, last)), label)


def measured(goal: dict, ctx: ToolContext) -> dict:
    """`goal` with its current value counted from the records over its period, when its
    metric is one that can be: a rating with no reviews in the period has none (None), and a
    custom goal keeps the value typed for it."""
    if goal["metric"] not in figures.METRICS:
        return {**goal, "source": "typed"}
    value = figures.metric_value(goal["metric"], ctx.store, goal_period(goal), ctx.zone)
    return {**goal, "current_value": value, "source": "records"}


def progress(goal: dict, today: date) -> dict:
    """Where one goal stands: done vs target, and whether it keeps pace with its period. A
    goal with no current value (a rating with no reviews yet) has no percent, remaining or
    on_track either."""
    target, current = goal["target_value"], goal["current_value"]
    counted = current is not None
    period = goal_period(goal)
    start, end = period.start, period.end
    percent = percent_of(current, target) if counted else None
    elapsed = elapsed_percent(start, end, today)
    # A rating is kept, not built up: pace through the period says nothing about it.
    keeps_pace = goal["metric"] != "average_rating" and None not in (percent, elapsed)
    keeps_pace = keeps_pace and percent >= elapsed
    row = {
        "id": goal["id"],
        "title": goal["title"],
        "metric": goal["metric"],
        "unit": goal["unit"],
        "current_value": current,
        "target_value": target,
        "percent": percent,
        "remaining": round(max(target - current, 0), 2) if counted else None,
        "period_end": goal["period_end"],
        "days_left": max((end - today).days, 0) if end else None,
        "period_elapsed_percent": elapsed,
        "on_track": (current >= target or keeps_pace) if counted else None,
        "source": goal.get("source", "typed"),
    }
    if not counted:
        row["note"] = NO_REVIEWS
    elif percent is None:
        row["percent_note"] = "No percent: the target is zero or tiny next to the current value."
    return row


@agent.tool(
    "goal_progress",
    GoalProgressInput(),
    "Progress of one goal or every active goal: current vs target, percent done, remaining, "
    "days left, and on_track (percent done at least the percent of the period elapsed; a "
    "rating goal: at or above its target). The current value is counted from the records "
    "over the goal's period (revenue collected, new clients, jobs completed, average rating, "
    "proposals won); a custom goal keeps the value typed for it, and a rating goal with no "
    "reviews in its period has none (current_value null).",
)
def goal_progress(ctx: ToolContext, args: dict) -> dict:
    if "id" in args:
        goals = [fetch(ctx, "goals", args["id"], "goal")]
    else:
        goals = ctx.store.list_records(
            "goals", filters=[Filter("status", "eq", "active")], limit=ALL_ROWS
        )
    rows = [progress(measured(goal, ctx), ctx.today) for goal in goals]
    on_track = sum(1 for row in rows if row["on_track"])
    summary = f"{on_track} of {len(rows)} goals on track" if rows else "No active goals"
    return {
        "goals": rows,
        "count": len(rows),
        "on_track": on_track,
        "stat_data": [
            goal_stat(row, goal)
            for row, goal in zip(rows, goals, strict=True)
            if row["current_value"] is not None
        ],
        "summary": summary,
    }


def goal_stat(row: dict, goal: dict) -> dict:
    """One goal as parts of its target: reached so far and still to go."""
    unit = UNITS.get(row["metric"], "usd" if (row["unit"] or "").upper() == "USD" else "count")
    reached = min(row["current_value"], row["target_value"])
    parts = [("Reached", reached), ("To go", row["remaining"])]
    return breakdown(row["title"], parts, unit, goal_period(goal))


@agent.tool(
    "business_overview",
    PeriodInput(),
    "How the business is doing over a period (default this month): revenue invoiced and "
    "collected, new clients, jobs completed, average rating and proposals won; with what is "
    "outstanding and overdue and the value of open proposals today.",
)
def business_overview(ctx: ToolContext, args: dict) -> dict:
    period = period_of(args, ctx.today)
    seen = figures.overview(ctx.store, period, ctx.today, ctx.zone)
    return {
        "period": period.as_dict(),
        **seen,
        "stat_data": figures.overview_stats(seen, period),
        "summary": f"{period.label}: {money(seen['revenue_collected'])} collected, "
        f"{money(seen['outstanding'])} outstanding",
    }
