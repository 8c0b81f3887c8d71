"""The campaigns agent: marketing campaigns, their results, scheduling and sending."""

from __future__ import annotations

from marshmallow import fields, validate

from ...store.base import Filter, Search, now_iso
from ..formatting import percent_of, plural
from ..stats import breakdown, number
from ..tools import Agent, Amount, Count, ToolContext, ToolError, ToolInput
from ..zone import moment, stored
from .crud import ALL_ROWS, Paging, RecordId, add_cancel_tool, add_crud_tools, fetch, status_field

CHANNELS = ("email", "sms", "social", "direct_mail")
STATUSES = ("draft", "scheduled", "active", "sent", "paused", "completed", "cancelled")
#: The one table of the moves a campaign's status may make: status -> the statuses it may
#: become (scheduled -> scheduled is a new send time). Every tool that changes a status checks
#: it, when it is called and again when the user confirms; any other move is refused.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("scheduled", "active", "sent", "paused", "cancelled"),
    "scheduled": ("scheduled", "draft", "active", "sent", "paused", "cancelled"),
    "active": ("sent", "paused", "completed", "cancelled"),
    "paused": ("draft", "scheduled", "active", "sent", "completed", "cancelled"),
    "sent": ("draft", "completed"),
    "completed": ("draft",),
    "cancelled": ("draft",),
}
#: A move out of these waits for the user's confirmation, as scheduling, sending and cancelling do.
CONFIRM_LEAVING = ("scheduled", "sent", "completed", "cancelled")
#: Statuses create_campaign and update_campaign leave to their own (confirm-first) tools.
OWN_TOOLS = {
    "sent": "send_campaign",
    "scheduled": "schedule_campaign",
    "cancelled": "cancel_campaign",
}
COUNTS = ("recipients_count", "opens_count", "clicks_count", "conversions_count")
RESULTS = ("recipients", "opens", "clicks", "conversions")
#: Each rate (percent of recipients) and the count it is of.
RATES = {"open_rate_pct": "opens", "click_rate_pct": "clicks", "conversion_rate_pct": "conversions"}
SEND_TIME = "When to send: ISO 8601 date and time, local to the business unless an offset is given."

agent = Agent(
    name="campaigns",
    description=(
        "Marketing campaigns: listing, results and rates, scheduling, sending and cancelling."
    ),
    instructions=(
        "You manage the contractor's marketing campaigns. Find a campaign with list_campaigns "
        "before acting on it. Use campaign_metrics for open, click and conversion rates and "
        "cost per conversion. Scheduling, sending and cancelling, and moving a campaign out of "
        "scheduled, sent, completed or cancelled, need the user's confirmation in the app; say "
        "so. Ask for missing details such as when to schedule; never invent campaigns or "
        "results."
    ),
)


def tally(what: str) -> Count:
    return Count(metadata={"description": what})


def dollars(what: str) -> Amount:
    return Amount(maximum=10_000_000, metadata={"description": what})


class CampaignFields(ToolInput):
    name = fields.String(
        required=True, validate=validate.Length(1, 200), metadata={"description": "Its name."}
    )
    channel = fields.String(
        validate=validate.OneOf(CHANNELS), metadata={"description": "How it reaches people."}
    )
    status = status_field(STATUSES, OWN_TOOLS)
    audience = fields.String(validate=validate.Length(max=200), metadata={"description": "Who."})
    subject = fields.String(validate=validate.Length(max=200), metadata={"description": "Subject."})
    content = fields.String(validate=validate.Length(max=5000), metadata={"description": "Body."})
    scheduled_at = fields.DateTime(metadata={"description": SEND_TIME})
    recipients_count = tally("How many people it went to.")
    opens_count = tally("How many opened it.")
    clicks_count = tally("How many clicked.")
    conversions_count = tally("How many became jobs or leads.")
    budget = dollars("Budget in dollars.")
    spent = dollars("Spent so far in dollars.")


class CampaignUpdate(RecordId, CampaignFields):
    pass


class CampaignList(Paging):
    status = fields.String(validate=validate.OneOf(STATUSES), metadata={"description": "State."})
    channel = fields.String(validate=validate.OneOf(CHANNELS), metadata={"description": "Channel."})
    search = fields.String(
        validate=validate.Length(1, 200), metadata={"description": "Text in the name or subject."}
    )


class MetricsInput(ToolInput):
    id = fields.UUID(metadata={"description": "One campaign; omit for all."})
    name = fields.String(
        validate=validate.Length(1, 200),
        metadata={"description": "Only campaigns named like this."},
    )


class ScheduleInput(RecordId):
    scheduled_at = fields.DateTime(required=True, metadata={"description": SEND_TIME})


def label(campaign: dict) -> str:
    return f"the {campaign['channel']} campaign “{campaign['name']}”"


def list_filters(args: dict, ctx: ToolContext) -> tuple[list[Filter], Search | None]:
    filters = [Filter(key, "eq", args[key]) for key in ("status", "channel") if key in args]
    search = Search(("name", "subject"), args["search"]) if "search" in args else None
    return filters, search


def listed(words: list[str], last: str = "or") -> str:  # "a, b or c"
    return f"{', '.join(words[:-1])} {last} {words[-1]}" if len(words) > 1 else "".join(words)


def refusal(campaign: dict, to: str) -> str:
    """Why `campaign` may not become `to`, and what it may become."""
    status = campaign["status"]
    others = [next_status for next_status in TRANSITIONS.get(status, ()) if next_status != status]
    return f"“{campaign['name']}” is already {status}: it can become {listed(others)}, not {to}."


def check_move(campaign: dict, to: str) -> None:
    """A ToolError unless TRANSITIONS lets `campaign` become `to`."""
    if to not in TRANSITIONS.get(campaign["status"], ()):
        raise ToolError(refusal(campaign, to))


def moved(campaign: dict, values: dict) -> str | None:
    """The status `values` move `campaign` to (None: it stays), if TRANSITIONS allows it."""
    to = values.get("status", campaign["status"])
    if to == campaign["status"]:
        return None
    check_move(campaign, to)
    return to


def movable(ctx: ToolContext, campaign_id, to: str) -> dict:
    """The campaign, if it may become `to`; else a ToolError saying why."""
    campaign = fetch(ctx, "campaigns", campaign_id, "campaign")
    check_move(campaign, to)
    return campaign


def local_time(value, ctx: ToolContext) -> str:
    """A send time as the business reads it: 2026-12-01 10:00 EST."""
    return f"{moment(value, ctx.zone).astimezone(ctx.zone):%Y-%m-%d %H:%M %Z}"


def prepare(values: dict, ctx: ToolContext, existing: dict | None) -> dict:
    """Refuse a status move TRANSITIONS does not allow; keep the send time as the store keeps
    times (a time without an offset is the business's)."""
    if existing:
        moved(existing, values)
    if values.get("scheduled_at"):
        return {**values, "scheduled_at": stored(values["scheduled_at"], ctx.zone)}
    return values


def confirm_update(ctx: ToolContext, values: dict, campaign: dict) -> str | None:
    """What update_campaign asks the user to confirm: a move out of CONFIRM_LEAVING, or a
    new send time for a scheduled campaign. None: the change is made at once."""
    status, to = campaign["status"], moved(campaign, values)
    if to and status in CONFIRM_LEAVING:
        also = [key.replace("_", " ") for key in values if key != "status"]
        extra = f", and change its {listed(also, 'and')}" if also else ""
        return f"Move {label(campaign)} from {status} to {to}{extra}"
    if status == "scheduled" and values.get("scheduled_at"):
        return f"Reschedule {label(campaign)} for {local_time(values['scheduled_at'], ctx)}"
    return None


add_crud_tools(
    agent,
    "campaigns",
    "campaign",
    "campaigns",
    create=CampaignFields(),
    update=CampaignUpdate(partial=tuple(CampaignFields().fields)),
    list_schema=CampaignList(),
    list_filters=list_filters,
    label=label,
    prepare=prepare,
    confirm_update=confirm_update,
)


def rates(totals: dict) -> dict:
    """Counts, rates in percent of recipients, and cost per conversion."""
    row = {key: totals[f"{key}_count"] for key in RESULTS} | {"spent": round(totals["spent"], 2)}
    row |= {rate: percent_of(row[count], row["recipients"]) for rate, count in RATES.items()}
    spent, conversions = totals["spent"], row["conversions"]
    return row | {"cost_per_conversion": round(spent / conversions, 2) if conversions else None}


def charted(row: dict, title: str) -> list[dict]:
    """What a front end can chart of `row` (one campaign's figures, or the totals)."""
    rated = [(f"{rate.split('_')[0].title()} rate", row[rate]) for rate in RATES]
    return [
        breakdown(f"{title}: results", [(key.title(), row[key]) for key in RESULTS], "count"),
        breakdown(f"{title}: rates", rated, "percent"),
        number(f"{title}: cost per conversion", row["cost_per_conversion"], "usd"),
    ]


@agent.tool(
    "campaign_metrics",
    MetricsInput(),
    "Results of one campaign, campaigns matching a name, or all: open, click and conversion "
    "rates in percent of recipients, cost per conversion, and totals.",
)
def campaign_metrics(ctx: ToolContext, args: dict) -> dict:
    if "id" in args:
        campaigns = [fetch(ctx, "campaigns", args["id"], "campaign")]
    else:
        search = Search(("name",), args["name"]) if "name" in args else None
        campaigns = ctx.store.list_records("campaigns", search=search, limit=ALL_ROWS)
    shown = ("id", "name", "channel", "status")
    rows = [{**{key: c[key] for key in shown}, **rates(c)} for c in campaigns]
    totals = rates({key: sum(c[key] for c in campaigns) for key in (*COUNTS, "spent")})
    count = len(rows)
    summary = f"Metrics for {plural(count, 'campaign')}" if rows else "No matching campaigns"
    named = f"Campaigns like “{args['name']}”" if "name" in args else "All campaigns"
    stats = charted(totals, rows[0]["name"] if count == 1 else named) if rows else []
    result = {"campaigns": rows, "count": count, "totals": totals, "summary": summary}
    return result | {"stat_data": stats}


def describe_send(ctx: ToolContext, args: dict) -> str:
    campaign = movable(ctx, args["id"], "sent")
    audience = f" to {campaign['audience']}" if campaign["audience"] else ""
    return f"Send {label(campaign)}{audience}"


@agent.tool(
    "send_campaign",
    RecordId(),
    "Send a campaign now (asks the user to confirm first).",
    describe=describe_send,
)
def send_campaign(ctx: ToolContext, args: dict) -> dict:
    campaign = movable(ctx, args["id"], "sent")
    campaign = ctx.store.update_record(
        "campaigns", campaign["id"], {"status": "sent", "sent_at": now_iso()}
    )
    return {"campaign": campaign, "summary": f"Sent {label(campaign)}"}


def planned(ctx: ToolContext, args: dict) -> tuple[dict, str]:
    """The campaign and its send time as the store keeps it, if it may go out then."""
    campaign = movable(ctx, args["id"], "scheduled")
    when = moment(args["scheduled_at"], ctx.zone)
    if when.astimezone(ctx.zone).date() < ctx.today:
        raise ToolError("That time has passed; pick a time from today on.")
    return campaign, stored(when, ctx.zone)


def describe_schedule(ctx: ToolContext, args: dict) -> str:
    campaign, when = planned(ctx, args)
    return f"Schedule {label(campaign)} for {local_time(when, ctx)}"


@agent.tool(
    "schedule_campaign",
    ScheduleInput(),
    "Schedule a campaign to go out at a set time, or give a scheduled one a new time (asks "
    "the user to confirm first).",
    describe=describe_schedule,
)
def schedule_campaign(ctx: ToolContext, args: dict) -> dict:
    campaign, when = planned(ctx, args)
    campaign = ctx.store.update_record(
        "campaigns", campaign["id"], {"status": "scheduled", "scheduled_at": when}
    )
    summary = f"Scheduled {label(campaign)} for {local_time(when, ctx)}"
    return {"campaign": campaign, "summary": summary}


add_cancel_tool(
    agent,
    "campaigns",
    "campaign",
    description=(
        "Cancel a campaign that has not gone out, so it never does (asks the user to confirm "
        "first)."
    ),
    finished=tuple(status for status in STATUSES if "cancelled" not in TRANSITIONS[status]),
    label=label,
    refusal=lambda campaign: refusal(campaign, "cancelled"),
)
