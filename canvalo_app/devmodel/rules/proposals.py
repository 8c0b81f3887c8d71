"""Offline rules for the proposals agent: listing, win rate, new proposals, status changes.

Understands, for example: "show my proposals", "show my accepted proposals", "what's my
proposal win rate?", "how is my pipeline?", "create a proposal for Grace Kim for $1,800 for
fence staining", "mark PRO-201 accepted", "Maria Lopez rejected the proposal", "check the
totals on PRO-202", "delete PRO-202".
"""

from __future__ import annotations

import re
from datetime import date

from ...agents.domains.proposals import OPEN, STATUSES
from ...agents.formatting import day, money, plural
from ..parse import amounts, names, proposal_number, status_in, work
from . import Call, Step, failed, find_then_act, not_one

SYNONYMS = {
    **dict.fromkeys(("won", "signed", "approved"), "accepted"),
    **dict.fromkeys(("lost", "declined", "turned down"), "rejected"),
}
_DOCUMENT = r"(?:proposal|quote|bid)"
_MAKE = r"(?:create|draft|write|make|prepare|new)"
_DECIDED = r"(?:accepted|rejected|declined|signed|approved|turned\s+down)"
_INTENTS = [
    ("delete", re.compile(r"\b(?:delete|remove)\b", re.I)),
    ("create", re.compile(rf"\b{_MAKE}\s+(?:an?\s+)?(?:new\s+)?{_DOCUMENT}\b", re.I)),
    ("totals", re.compile(r"\b(?:totals?|recalculate|add\s+up|sum)\b", re.I)),
    ("pipeline", re.compile(r"\b(?:win\s+rate|pipeline|conversion|how\s+many|worth)\b", re.I)),
    ("status", re.compile(r"\b(?:mark|set|change|move|update)\b", re.I)),
    ("status", re.compile(rf"\b{_DECIDED}\s+(?:the|my|our|their|a)?\s*{_DOCUMENT}\b", re.I)),
]
#: Intents that first find one proposal, then act on it.
ACTIONS = ("delete", "totals", "status")


def intent(text: str) -> str:
    kind = next((kind for kind, pattern in _INTENTS if pattern.search(text)), "list")
    if kind == "status" and not status_in(text, STATUSES, SYNONYMS):
        return "list"
    if kind == "totals" and not who(text):
        return "pipeline"
    return kind


def who(text: str) -> str | None:
    """The proposal number, or the client the proposal is for."""
    return proposal_number(text) or next(iter(names(text)), None)


def find_call(text: str) -> Call:
    args: dict = {"limit": 5}
    if target := who(text):
        args["search"] = target
    return "list_proposals", args


def act(kind: str, text: str, proposal: dict) -> Call:
    if kind == "delete":
        return "delete_proposal", {"id": proposal["id"]}
    if kind == "totals":
        return "proposal_totals", {"id": proposal["id"]}
    return "update_proposal", {"id": proposal["id"], "status": status_in(text, STATUSES, SYNONYMS)}


def create_args(text: str) -> dict | None:
    found, client = amounts(text), next(iter(names(text)), None)
    if not (found and client):
        return None
    title = work(text, client, default="Painting work")
    return {
        "client_name": client,
        "title": title,
        "line_items": [{"description": title, "quantity": 1, "unit_price": found[0]}],
    }


def list_args(text: str) -> dict:
    args: dict = {"limit": 20}
    if status := status_in(text, STATUSES, SYNONYMS):
        args["status"] = status
    elif re.search(r"\b(?:open|pending|outstanding)\b", text, re.I):
        args["open_only"] = True
    if target := who(text):
        args["search"] = target
    return args


def next_calls(text: str, steps: list[Step], today: date) -> list[Call]:
    kind = intent(text)
    if kind in ACTIONS:
        return find_then_act(steps, find_call(text), "proposals", lambda p: act(kind, text, p))
    if steps:
        return []
    if kind == "pipeline":
        return [("proposal_pipeline", {})]
    if kind == "create":
        args = create_args(text)
        return [("create_proposal", args)] if args else []
    return [("list_proposals", list_args(text))]


# Answers ---------------------------------------------------------------------------------
def describe(proposal: dict) -> str:
    return (
        f"{proposal['proposal_number']} “{proposal['title']}” for {proposal['client_name']}: "
        f"{money(proposal['total_amount'])}, {proposal['status']}"
    )


def pipeline_answer(result: dict, text: str) -> str:
    by_status = result["by_status"]
    if not result["total"]:
        return "You don't have any proposals yet."
    won, lost = by_status["accepted"]["count"], by_status["rejected"]["count"]
    rate = (
        f"Your win rate is {result['win_rate']:g}% ({won} accepted, {lost} rejected)."
        if result["win_rate"] is not None
        else "No proposal has been accepted or rejected yet, so there's no win rate."
    )
    waiting = sum(by_status[status]["count"] for status in OPEN)
    counts = ", ".join(
        f"{row['count']} {status}" for status, row in by_status.items() if row["count"]
    )
    return (
        f"{rate} {plural(waiting, 'open proposal')} worth {money(result['open_value'])}; "
        f"accepted work totals {money(result['won_value'])}. By status: {counts}."
    )


def valid(proposal: dict) -> str:
    return f", valid until {day(proposal['valid_until'])}" if proposal["valid_until"] else ""


def list_answer(result: dict, text: str) -> str:
    rows = result["proposals"]
    if not rows:
        return "I couldn't find any proposals matching that."
    lines = [f"- {describe(row)}{valid(row)}" for row in rows]
    return "\n".join([f"You have {plural(result['total'], 'proposal')}:", *lines])


def created_answer(result: dict, text: str) -> str:
    proposal = result["proposal"]
    return (
        f"I drafted proposal {proposal['proposal_number']} “{proposal['title']}” for "
        f"{proposal['client_name']}: {money(proposal['subtotal'])} plus "
        f"{money(proposal['tax_amount'])} tax, total {money(proposal['total_amount'])}"
        f"{valid(proposal)}. It hasn't been sent."
    )


def updated_answer(result: dict, text: str) -> str:
    proposal = result["proposal"]
    return f"{proposal['proposal_number']} “{proposal['title']}” is now {proposal['status']}."


def totals_answer(result: dict, text: str) -> str:
    number, stored = result["proposal"]["proposal_number"], money(result["stored_total"])
    check = "matches" if result["consistent"] else f"differs from the stored {stored}"
    discount = money(result["discount_amount"])
    less = f", less {discount} discount" if result["discount_amount"] else ""
    return (
        f"{number} adds up to {money(result['subtotal'])}{less}, plus "
        f"{money(result['tax_amount'])} tax ({result['tax_rate']:g}%): "
        f"{money(result['total_amount'])}, which {check} the total on the proposal."
    )


ANSWERS = {
    "proposal_pipeline": pipeline_answer,
    "list_proposals": list_answer,
    "create_proposal": created_answer,
    "update_proposal": updated_answer,
    "proposal_totals": totals_answer,
}
ASK = (
    "To create a proposal I need the client's name and the price, for example “create a "
    "proposal for Grace Kim for $1,800 for fence staining”."
)
HELP = "Which proposal? Tell me its number (like PRO-201) or the client's name."


def answer(text: str, steps: list[Step], today: date) -> str:
    kind = intent(text)
    if not steps:
        return ASK if kind == "create" else HELP
    last = steps[-1]
    if last.status != "ok":
        return failed(last)
    if kind in ACTIONS and len(steps) == 1:
        return not_one(last, "proposals", "proposal", who(text) or "", describe) or HELP
    write = ANSWERS.get(last.name, lambda result, _: result.get("summary", "Done."))
    return write(last.result, text)
