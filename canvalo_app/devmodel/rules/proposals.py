"""Offline rules for the proposals agent: listing, win rate, new proposals and their lines,
sending, status changes.

Understands, for example: "show my proposals", "show my accepted proposals", "what's my
proposal win rate?", "how is my pipeline?", "create a proposal for Grace Kim for $1,800 for
fence staining", "create a proposal for 3 rooms, $450 each for Maria Lopez", "quote Tom
Henderson 2 doors at $85 each plus trim for $300", "draft an estimate for Maria Lopez", "add
2 doors at $85 each to PRO-203", "send the proposal", "keep it as a draft", "mark PRO-201
accepted", "Maria Lopez rejected the proposal", "check the totals on PRO-202", "delete PRO-202".
"""

from __future__ import annotations

import re
from datetime import date

from ...agents.domains.contacts import SEVERAL
from ...agents.domains.proposal_sections import NOT_CREATED
from ...agents.domains.proposals import OPEN, STATUSES
from ...agents.formatting import day, money, plural
from ..parse import amounts, names, proposal_number, status_in, work
from . import Call, Step, failed, find_then_act, not_one, records
from .proposal_lines import listed, plain, priced_lines

SYNONYMS = {
    **dict.fromkeys(("won", "signed", "approved"), "accepted"),
    **dict.fromkeys(("lost", "declined", "turned down"), "rejected"),
}
_DOCUMENT = r"(?:proposal|quote|bid|estimate)"
_MAKE = r"(?:create|draft|write|make|prepare|new)"
_DECIDED = r"(?:accepted|rejected|declined|signed|approved|turned\s+down)"
_INTENTS = [
    ("delete", re.compile(r"\b(?:delete|remove)\b", re.I)),
    ("create", re.compile(rf"\b{_MAKE}\s+(?:an?\s+)?(?:new\s+)?{_DOCUMENT}\b", re.I)),
    ("create", re.compile(r"^\s*quote\b", re.I)),
    ("keep", re.compile(r"\b(?:keep|leave)\b.*\bdraft\b", re.I)),
    ("send", re.compile(r"\b(?:send|e-?mail)\b", re.I)),
    ("totals", re.compile(r"\b(?:totals?|recalculate|add\s+up|sum)\b", re.I)),
    ("pipeline", re.compile(r"\b(?:win\s+rate|pipeline|conversion|how\s+many|worth)\b", re.I)),
    ("add", re.compile(r"\badd\b", re.I)),
    ("status", re.compile(r"\b(?:mark|set|change|move|update)\b", re.I)),
    ("status", re.compile(rf"\b{_DECIDED}\s+(?:the|my|our|their|a)?\s*{_DOCUMENT}\b", re.I)),
]
#: Intents that first find one proposal, then act on it.
ACTIONS = ("delete", "totals", "status", "send", "keep", "add")


def intent(text: str) -> str:
    kind = next((kind for kind, pattern in _INTENTS if pattern.search(text)), "list")
    if kind == "status" and (status := status_in(text, STATUSES, SYNONYMS)) is not None:
        return "send" if status == "sent" else kind
    if kind == "status":
        return "list"
    if kind == "totals" and not who(text):
        return "pipeline"
    return kind


def who(text: str) -> str | None:
    """The proposal number, or the client the proposal is for."""
    return proposal_number(text) or next(iter(names(text)), None)


def find_call(text: str, kind: str = "") -> Call:
    """Look the proposal up by number or client; "send the proposal" looks among drafts."""
    args: dict = {"limit": 5}
    if target := who(text):
        args["search"] = target
    elif kind in ("send", "keep"):
        args["status"] = "draft"
    return "list_proposals", args


def act(kind: str, text: str, proposal: dict) -> Call | None:
    simple = {"delete": "delete_proposal", "totals": "proposal_totals", "send": "send_proposal"}
    if kind in simple:
        return simple[kind], {"id": proposal["id"]}
    if kind == "add":
        return added(text, proposal)
    if kind == "keep":
        return None
    return "update_proposal", {"id": proposal["id"], "status": status_in(text, STATUSES, SYNONYMS)}


def added(text: str, proposal: dict) -> Call | None:
    """The update that adds the priced lines in `text` to `proposal` (a new section when
    it is priced in sections)."""
    new = priced_lines(text)
    if not new:
        return None
    if sections := proposal.get("sections"):
        parts = [{"title": part["title"], "line_items": plain(part)} for part in sections]
        return "update_proposal", {
            "id": proposal["id"],
            "sections": [*parts, {"title": "Additional work", "line_items": new}],
        }
    lines = [*plain(proposal), *new]
    return "update_proposal", {"id": proposal["id"], "line_items": lines}


def create_args(text: str) -> dict | None:
    """A new proposal for the client named: its priced lines (a single price is one line
    for the work named), or none yet."""
    client = next(iter(names(text)), None)
    if not client:
        return None
    lines, found = priced_lines(text), amounts(text)
    title = work(text, client, default="") or listed(lines) or "Painting work"
    if not lines and found:
        lines = [{"description": title, "quantity": 1, "unit_price": found[0]}]
    return {"client_name": client, "title": title, **({"line_items": lines} if lines else {})}


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
    if kind == "list" and records.DETAILS.search(text):  # "show me PRO-201 in detail"
        return records.record_calls("details", "proposal", steps, find_call(text))
    if kind in ACTIONS:
        find = find_call(text, kind)
        return find_then_act(steps, find, "proposals", lambda p: act(kind, text, p))
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


def priced(line: dict) -> str:
    if line.get("quantity", 1) == 1:
        return f"{line['description']} {money(line['amount'])}"
    return f"{line['description']} {line['quantity']:g} × {money(line['unit_price'])}"


def created_answer(result: dict, text: str) -> str:
    proposal = result["proposal"]
    number, client = proposal["proposal_number"], proposal["client_name"]
    head = f"I drafted proposal {number} “{proposal['title']}” for {client}"
    if not proposal["line_items"]:
        return (
            f"{head}{valid(proposal)}. It has no priced lines yet: tell me the work and "
            f"prices, for example “add 3 rooms at $450 each to {number}”."
        )
    return (
        f"{head}: {'; '.join(map(priced, proposal['line_items']))}. That's "
        f"{money(proposal['subtotal'])} plus {money(proposal['tax_amount'])} tax, total "
        f"{money(proposal['total_amount'])}{valid(proposal)}. Shall I send it to {client}, "
        "or keep it as a draft?"
    )


def updated_answer(result: dict, text: str) -> str:
    proposal = result["proposal"]
    name = f"{proposal['proposal_number']} “{proposal['title']}”"
    if intent(text) == "add":
        return f"{name} now comes to {money(proposal['total_amount'])} with tax."
    return f"{name} is now {proposal['status']}."


def kept(proposal: dict) -> str:
    if proposal["status"] != "draft":
        return f"{describe(proposal)}; it isn't a draft."
    return f"{proposal['proposal_number']} stays a draft; nothing has been sent."


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
    "Who is the proposal for? Tell me the client's name and the work, for example “create a "
    "proposal for 3 rooms, $450 each for Maria Lopez”."
)
HELP = "Which proposal? Tell me its number (like PRO-201) or the client's name."
ADD = "Tell me the lines to add with their prices, for example “add 2 doors at $85 each”."


def answer(text: str, steps: list[Step], today: date) -> str:
    kind = intent(text)
    if not steps:
        return ASK if kind == "create" else HELP
    if kind == "list" and records.DETAILS.search(text):
        return records.record_answer(steps, "proposal", who(text) or "", describe)
    last = steps[-1]
    if last.name == "create_proposal" and last.result.get("error", "").startswith(SEVERAL):
        return f"I didn't create it: {last.result['error'].split(NOT_CREATED)[0]}Which one?"
    if last.status != "ok":
        return failed(last)
    if kind in ACTIONS and len(steps) == 1:
        rows = last.result.get("proposals") or [{}]
        found = {"keep": kept, "add": lambda _: ADD}.get(kind, lambda _: HELP)
        return not_one(last, "proposals", "proposal", who(text) or "", describe) or found(rows[0])
    write = ANSWERS.get(last.name, lambda result, _: result.get("summary", "Done."))
    return write(last.result, text)
