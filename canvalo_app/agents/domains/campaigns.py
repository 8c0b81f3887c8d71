"""The campaigns agent: marketing campaigns, their results, scheduling and sending."""

from __future__ import annotations

from marshmallow import fields, validate

from ...store.base import Filter, Search, now_iso
from ..formatting import percent_of, plural
from ..tools import Agent, Amount, Count, ToolContext, ToolError, ToolInput
from ..zone import moment, stored
from .crud import ALL_ROWS, Paging, RecordId, add_cancel_tool, add_crud_tools, fetch, status_field

CHANNELS = ("email", "sms", "social", "direct_mail")
STATUSES = ("draft", "scheduled", "active", "sent", "paused", "completed", "cancelled")
#: Statuses that create_campaign and update_campaign leave to their own tools, which the user
#: must confirm.
OWN_TOOLS = {
    "sent": "send_campaign",
    "scheduled": "schedule_campaign",
    "cancelled": "cancel_campaign",
}
FINISHED = ("sent", "completed", "cancelled")
COUNTS = ("recipients_count", "opens_count", "clicks_count", "conversions_count")
SEND_TIME = "When to send: ISO 8601 date and time, local to the business unless an offset is given."

agent = Agent(
    name="campaigns",
    description=(
        "Marketing campaigns: listing, results and rates, scheduling, sending and cancelling."
    ),
    instructions=(
        "You manage the contractor's marketing campaigns. Find a campaign with list_campaigns "
        "before acting on it. Use campaign_metrics for open, click and conversion rates and "
        "cost per conversion. Sending and cancelling need the user's confirmation in the app; "
        "say so. Ask for missing details such as when to schedule; never invent campaigns or "
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


def send_time(values: dict, ctx: ToolContext, existing: dict | None) -> dict:
    """The send time as the store keeps times (a time without an offset is the business's)."""
    if values.get("scheduled_at"):
        return {**values, "scheduled_at": stored(values["scheduled_at"], ctx.zone)}
    return values


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
    prepare=send_time,
)


def rates(totals: dict) -> dict:
    """Open, click and conversion rates (percent of recipients) and cost per conversion."""
    recipients, conversions = totals["recipients_count"], totals["conversions_count"]

    def rate(count: int) -> float | None:
        return percent_of(count, recipients)

    return {
        "recipients": recipients,
        "opens": totals["opens_count"],
        "clicks": totals["clicks_count"],
        "conversions": conversions,
        "spent": round(totals["spent"], 2),
        "open_rate_pct": rate(totals["opens_count"]),
        "click_rate_pct": rate(totals["clicks_count"]),
        "conversion_rate_pct": rate(conversions),
        "cost_per_conversion": round(totals["spent"] / conversions, 2) if conversions else None,
    }


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
    rows = [
        {
            "id": c["id"],
            "name": c["name"],
            "channel": c["channel"],
            "status": c["status"],
            **rates(c),
        }
        for c in campaigns
    ]
    totals = rates({key: sum(c[key] for c in campaigns) for key in (*COUNTS, "spent")})
    count = len(rows)
    summary = f"Metrics for {plural(count, 'campaign')}" if rows else "No matching campaigns"
    return {"campaigns": rows, "count": count, "totals": totals, "summary": summary}


def already(campaign: dict) -> str:
    """Why a finished campaign is not sent, scheduled or cancelled."""
    return f"“{campaign['name']}” is already {campaign['status']}."


def unfinished(ctx: ToolContext, campaign_id) -> dict:
    """The campaign, if it can still be sent or scheduled; else a ToolError saying why."""
    campaign = fetch(ctx, "campaigns", campaign_id, "campaign")
    if campaign["status"] in FINISHED:
        raise ToolError(already(campaign))
    return campaign


def describe_send(ctx: ToolContext, args: dict) -> str:
    campaign = unfinished(ctx, args["id"])
    audience = f" to {campaign['audience']}" if campaign["audience"] else ""
    return f"Send {label(campaign)}{audience}"


@agent.tool(
    "send_campaign",
    RecordId(),
    "Send a campaign now (asks the user to confirm first).",
    describe=describe_send,
)
def send_campaign(ctx: ToolContext, args: dict) -> dict:
    campaign = unfinished(ctx, args["id"])
    campaign = ctx.store.update_record(
        "campaigns", campaign["id"], {"status": "sent", "sent_at": now_iso()}
    )
    return {"campaign": campaign, "summary": f"Sent {label(campaign)}"}


@agent.tool("schedule_campaign", ScheduleInput(), "Schedule a campaign to go out at a set time.")
def schedule_campaign(ctx: ToolContext, args: dict) -> dict:
    campaign = unfinished(ctx, args["id"])
    when = moment(args["scheduled_at"], ctx.zone)
    local = when.astimezone(ctx.zone)
    if local.date() < ctx.today:
        raise ToolError("That time has passed; pick a time from today on.")
    campaign = ctx.store.update_record(
        "campaigns",
        campaign["id"],
        {"status": "scheduled", "scheduled_at": stored(when, ctx.zone)},
    )
    return {
        "campaign": campaign,
        "summary": f"Scheduled {label(campaign)} for {local:%Y-%m-%d %H:%M %Z}",
    }


add_cancel_tool(
    agent,
    "campaigns",
    "campaign",
    description=(
        "Cancel a campaign that has not gone out, so it never does (asks the user to confirm "
        "first)."
    ),
    finished=FINISHED,
    label=label,
    refusal=already,
)
