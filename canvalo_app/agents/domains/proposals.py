"""The proposals agent: quotes for work, their totals, and how many are won."""

from __future__ import annotations

from datetime import timedelta

from marshmallow import fields, validate

from ...store.base import Filter, Search
from ..formatting import money, percent_of
from ..tools import Agent, ToolContext, ToolInput
from .crud import ALL_ROWS, Paging, RecordId, add_crud_tools, fetch
from .money import PRICE_FIELDS, PricedDocument, next_number, priced, totals

STATUSES = ("draft", "sent", "viewed", "accepted", "rejected", "expired")
#: Proposals still waiting on the client's answer.
OPEN = ("draft", "sent", "viewed")
VALID_DAYS = 30

agent = Agent(
    name="proposals",
    description="Proposals and quotes: creating them, totals from line items, win rate.",
    instructions=(
        "You manage the contractor's proposals (quotes). Find a proposal with list_proposals "
        "(by client, title or number) before changing it; if several match, ask which. Change "
        "a proposal's status (sent, accepted, rejected...) with update_proposal. A new "
        "proposal needs a client, a title and priced lines; ask for what is missing. Use "
        "proposal_pipeline for counts, value and win rate. Never invent prices or clients."
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
    status = fields.String(validate=validate.OneOf(STATUSES), metadata={"description": "State."})
    valid_until = fields.Date(
        metadata={"description": f"YYYY-MM-DD; defaults to {VALID_DAYS} days from today."}
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
    """A new proposal gets the next number and a validity date; totals follow its lines."""
    if existing is None:
        values = {"valid_until": (ctx.today + timedelta(days=VALID_DAYS)).isoformat(), **values}
        if "proposal_number" not in values:
            values["proposal_number"] = next_number(ctx, "proposals", "proposal_number", "PRO", 101)
    return priced(values, ctx, existing)


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
    "Work a proposal's subtotal, tax and total out again from its line items, and say whether "
    "the stored totals agree.",
)
def proposal_totals(ctx: ToolContext, args: dict) -> dict:
    proposal = fetch(ctx, "proposals", args["id"], "proposal")
    worked = totals(*(proposal[key] for key in PRICE_FIELDS))
    agrees = all(worked[key] == proposal[key] for key in ("subtotal", "tax_amount", "total_amount"))
    note = "matches" if agrees else f"differs from the stored {money(proposal['total_amount'])}"
    return {
        "proposal": {
            key: proposal[key] for key in ("id", "proposal_number", "title", "client_name")
        },
        **worked,
        "stored_total": proposal["total_amount"],
        "consistent": agrees,
        "summary": f"{label(proposal)}: total {money(worked['total_amount'])} ({note})",
    }


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
    return {
        "by_status": by_status,
        "total": sum(entry["count"] for entry in by_status.values()),
        "open_value": open_value,
        "won_value": by_status["accepted"]["value"],
        "win_rate": rate,
        "summary": f"{money(open_value)} open; {decided}",
    }
