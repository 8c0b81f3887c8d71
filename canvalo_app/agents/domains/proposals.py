"""The proposals agent: quotes for work, priced by line or in sections, their totals, sending
them, and how many are won."""

from __future__ import annotations

from datetime import timedelta

from marshmallow import ValidationError, fields, validate, validates_schema

from ...store.base import Filter, Search, now_iso
from ..context import business_profile
from ..formatting import day, money, percent_of
from ..stats import breakdown, number
from ..tools import MAX_AMOUNT, Agent, ToolContext, ToolError, ToolInput
from .contacts import not_blank
from .crud import (
    ALL_ROWS,
    Paging,
    RecordId,
    add_crud_tools,
    fetch,
    refuse_before_sending,
    status_field,
)
from .money import LineItem, PricedDocument, next_number, priced, totals
from .proposal_sections import (
    MAX_SECTIONS,
    Section,
    default_terms,
    sectioned,
    sections_subtotal,
    with_contact,
)

STATUSES = ("draft", "sent", "viewed", "accepted", "rejected", "expired")
#: Proposals still waiting on the client's answer.
OPEN = ("draft", "sent", "viewed")
#: What a proposal can become only once send_proposal has sent it.
AFTER_SENDING = ("viewed", "accepted", "rejected")
VALID_DAYS = 30

agent = Agent(
    name="proposals",
    description=(
        "Proposals, quotes and estimates: creating them by line or in sections, their totals "
        "and terms, sending them, win rate."
    ),
    instructions=(
        "You manage the contractor's proposals (quotes, estimates). Find a proposal with "
        "list_proposals (by client, title or number) before changing it; if several match, "
        "ask which. A new proposal needs a client and a title; price it with line_items, or "
        "with sections (a title and its own lines each) for a larger job; totals, section "
        "subtotals and the business's payment terms are filled in for you. A draft may start "
        "without lines, but cannot be sent until it has some. After create_proposal, say what "
        'it comes to and end your answer by asking: "Shall I send it to <client>, or keep '
        'it as a draft?" Send a draft only when the user asks, with send_proposal (the user '
        "confirms in the app). Once it is sent, change its status (viewed, accepted, "
        "rejected...) with update_proposal. Use proposal_pipeline for counts, value and win "
        "rate. Never invent prices or clients."
    ),
)


class ProposalFields(PricedDocument):
    title = fields.String(
        required=True, validate=validate.Length(1, 200), metadata={"description": "The work."}
    )
    proposal_number = fields.String(
        validate=validate.Length(1, 30),
        metadata={"description": "Leave out to use the next PRO- number."},
    )
    client_name = fields.String(
        required=True,
        validate=[validate.Length(1, 200), not_blank],
        metadata={"description": "The client; a contact of that name is linked."},
    )
    line_items = fields.List(
        fields.Nested(LineItem),
        validate=validate.Length(1, 100),
        metadata={
            "description": "The priced lines of a simple proposal; totals are computed from "
            "them. Giving them replaces any sections."
        },
    )
    sections = fields.List(
        fields.Nested(Section),
        validate=validate.Length(1, MAX_SECTIONS),
        metadata={
            "description": "Instead of line_items: the job in parts, each a title and its "
            "priced lines; each part's subtotal and the totals are computed."
        },
    )
    terms = fields.String(
        validate=validate.Length(1, 2000),
        metadata={"description": "Terms for the client; defaults to the payment terms."},
    )
    status = status_field(
        STATUSES, {"sent": "send_proposal"}, "State; viewed, accepted or rejected once sent."
    )
    valid_until = fields.Date(
        metadata={"description": f"YYYY-MM-DD; defaults to {VALID_DAYS} days from today."}
    )

    @validates_schema
    def lines_or_sections(self, data: dict, **kwargs) -> None:
        if "line_items" in data and "sections" in data:
            raise ValidationError("Give line_items or sections, not both.", "sections")
        if sections_subtotal(data.get("sections") or []) > MAX_AMOUNT:
            raise ValidationError(
                f"The sections add up to more than {money(MAX_AMOUNT)}.", "sections"
            )


class ProposalUpdate(RecordId, ProposalFields):
    pass


class ProposalList(Paging):
    status = fields.String(validate=validate.OneOf(STATUSES), metadata={"description": "State."})
    open_only = fields.Boolean(metadata={"description": "Only draft, sent or viewed."})
    search = fields.String(
        validate=validate.Length(1, 200),
        metadata={"description": "Text in the client's name, the title or the number."},
    )


def label(proposal: dict) -> str:
    return f"proposal {proposal['proposal_number']} “{proposal['title']}”"


def list_filters(args: dict, ctx: ToolContext) -> tuple[list[Filter], Search | None]:
    filters = [Filter("status", "eq", args["status"])] if "status" in args else []
    if args.get("open_only"):
        filters.append(Filter("status", "in", list(OPEN)))
    columns = ("client_name", "title", "proposal_number")
    return filters, Search(columns, args["search"]) if "search" in args else None


def prepare(values: dict, ctx: ToolContext, existing: dict | None) -> dict:
    """Sections give the lines; plain lines replace a proposal's sections. A new proposal
    gets the next number, a validity date, the business's payment terms and its client's
    contact; totals follow its lines. Only a sent proposal can be viewed, accepted or
    rejected."""
    refuse_before_sending(values, existing, AFTER_SENDING, "send_proposal")
    if "sections" in values:
        values = {**values, **sectioned(values["sections"])}
    elif "line_items" in values and existing and existing.get("sections"):
        values = {**values, "sections": []}
    if existing is None:
        values = with_contact(values, ctx)
        defaults = {
            "valid_until": (ctx.today + timedelta(days=VALID_DAYS)).isoformat(),
            "terms": default_terms(business_profile(ctx.store)),
        }
        values = {**{k: v for k, v in defaults.items() if v}, **values}
        if "proposal_number" not in values:
            values["proposal_number"] = next_number(ctx, "proposals", "proposal_number", "PRO", 101)
    return stamp_acceptance(priced(values, ctx, existing), existing)


def stamp_acceptance(values: dict, existing: dict | None) -> dict:
    """Keep accepted_at in step with the status: set when accepted, cleared when no longer."""
    if "status" not in values:
        return values
    accepted = values["status"] == "accepted"
    if accepted and (existing is None or existing["status"] != "accepted"):
        return {**values, "accepted_at": now_iso()}
    return values if accepted else {**values, "accepted_at": None}


add_crud_tools(
    agent,
    "proposals",
    "proposal",
    "proposals",
    create=ProposalFields(),
    update=ProposalUpdate(partial=tuple(ProposalFields().fields)),
    list_schema=ProposalList(),
    list_filters=list_filters,
    label=label,
    prepare=prepare,
)


@agent.tool(
    "proposal_totals",
    RecordId(),
    "Work a proposal's section subtotals, subtotal, tax and total out again from its lines, "
    "and say whether the stored totals agree.",
)
def proposal_totals(ctx: ToolContext, args: dict) -> dict:
    proposal = fetch(ctx, "proposals", args["id"], "proposal")
    parts = sectioned(proposal["sections"])["sections"] if proposal["sections"] else []
    lines = [line for part in parts for line in part["line_items"]] or proposal["line_items"]
    worked = totals(lines, proposal["tax_rate"], proposal["discount_amount"])
    agrees = all(worked[key] == proposal[key] for key in ("subtotal", "tax_amount", "total_amount"))
    note = "matches" if agrees else f"differs from the stored {money(proposal['total_amount'])}"
    figures = [(part["title"], part["subtotal"]) for part in parts] or [
        (line["description"], line["amount"]) for line in worked["line_items"]
    ]
    by = "section" if parts else "line"
    return {
        "proposal": {
            key: proposal[key] for key in ("id", "proposal_number", "title", "client_name")
        },
        **worked,
        "sections": [{"title": part["title"], "subtotal": part["subtotal"]} for part in parts],
        "stored_total": proposal["total_amount"],
        "consistent": agrees,
        "stat_data": [breakdown(f"{proposal['proposal_number']} by {by}", figures, "usd")],
        "summary": f"{label(proposal)}: total {money(worked['total_amount'])} ({note})",
    }


def sendable(ctx: ToolContext, record_id) -> dict:
    """The proposal, if it may go to the client now: a draft with priced lines, still valid."""
    proposal = fetch(ctx, "proposals", record_id, "proposal")
    if proposal["status"] != "draft":
        raise ToolError(f"Only a draft can be sent, and {label(proposal)} is {proposal['status']}.")
    if not proposal["line_items"]:
        raise ToolError(f"{label(proposal)} has no priced lines yet; add them before sending.")
    if proposal["valid_until"] and proposal["valid_until"][:10] < ctx.today.isoformat():
        raise ToolError(
            f"{label(proposal)} was valid only until {day(proposal['valid_until'])}; "
            "set a new valid_until before sending."
        )
    return proposal


def describe_send(ctx: ToolContext, args: dict) -> str:
    proposal = sendable(ctx, args["id"])
    email = f" ({proposal['client_email']})" if proposal["client_email"] else ""
    return (
        f"Send {label(proposal)} to {proposal['client_name']}{email}: "
        f"{money(proposal['total_amount'])}"
    )


@agent.tool(
    "send_proposal",
    RecordId(),
    "Send a draft proposal to its client, marking it sent (asks the user to confirm first).",
    describe=describe_send,
)
def send_proposal(ctx: ToolContext, args: dict) -> dict:
    proposal = sendable(ctx, args["id"])
    proposal = ctx.store.update_record(
        "proposals", proposal["id"], {"status": "sent", "sent_at": now_iso()}
    )
    return {"proposal": proposal, "summary": f"Sent {label(proposal)} to {proposal['client_name']}"}


@agent.tool(
    "proposal_pipeline",
    ToolInput(),
    "Proposals by status (count and value), the value still open, and the win rate: accepted "
    "out of accepted plus rejected, in percent.",
)
def proposal_pipeline(ctx: ToolContext, args: dict) -> dict:
    by_status = {status: {"count": 0, "value": 0.0} for status in STATUSES}
    for proposal in ctx.store.list_records("proposals", limit=ALL_ROWS):
        entry = by_status[proposal["status"]]
        entry["count"] += 1
        entry["value"] = round(entry["value"] + proposal["total_amount"], 2)
    won, lost = by_status["accepted"]["count"], by_status["rejected"]["count"]
    rate = percent_of(won, won + lost)
    open_value = round(sum(by_status[status]["value"] for status in OPEN), 2)
    decided = (
        f"win rate {rate}% ({won} of {won + lost} decided)"
        if rate is not None
        else ("none decided yet")
    )
    value = [(status, entry["value"]) for status, entry in by_status.items()]
    stats = [breakdown("Proposal value by status", value, "usd")]
    if rate is not None:
        stats.append(number("Win rate", rate, "percent"))
    return {
        "by_status": by_status,
        "total": sum(entry["count"] for entry in by_status.values()),
        "open_value": open_value,
        "won_value": by_status["accepted"]["value"],
        "win_rate": rate,
        "stat_data": stats,
        "summary": f"{money(open_value)} open; {decided}",
    }
