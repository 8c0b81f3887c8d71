"""Offline rules for the contacts agent: looking people up, counts, new contacts.

Understands, for example: "find Maria's phone number", "what's Tom Henderson's email?",
"who is 555-0190?", "how many leads do I have?", "show my vendors", "add a contact Jane Doe,
jane@example.com, lead", "make Priya Shah a client", "delete the contact Lee Park".
"""

from __future__ import annotations

import re
from datetime import date

from ...agents.domains.contacts import TYPES
from ...agents.formatting import plural
from ..parse import email, names, phone, status_in
from . import Call, Step, failed, find_then_act, not_one, records

SYNONYMS = {
    **{f"{kind}s": kind for kind in TYPES},
    **dict.fromkeys(("customer", "customers"), "client"),
    **dict.fromkeys(("past clients", "former client", "former clients"), "past_client"),
    **dict.fromkeys(("supplier", "suppliers"), "vendor"),
    **dict.fromkeys(("sub", "subs", "subcontractors"), "subcontractor"),
}
#: Contact details a question can ask for, and the words that ask for them.
FIELDS = {"phone": r"phone|number|call|cell", "email": r"e-?mail", "address": r"address|live"}
_INTENTS = [
    ("count", re.compile(r"\b(?:how\s+many|count|number\s+of)\b", re.I)),
    ("delete", re.compile(r"\b(?:delete|remove)\b", re.I)),
    ("create", re.compile(r"\b(?:add|create|new|save)\b", re.I)),
    (
        "retype",
        re.compile(r"\b(?:make|mark|change|set|move|turn)\b.*\b(?:as|to|into|an?)\s+\w", re.I),
    ),
    ("lookup", re.compile(r"\b(?:find|look\s*up|who|what'?s|what\s+is|get|show)\b", re.I)),
]


def _after_to(read):
    return lambda text, today: read(records.value_after_to(text) or "")


#: The details "update Priya Shah's phone to 555-0142" and the like change.
EDITS = [
    records.Edit("phone", re.compile(r"\b(?:phone|cell|mobile)\b", re.I), _after_to(phone)),
    records.Edit("email", re.compile(r"\be-?mail\b", re.I), _after_to(email)),
    records.Edit("address", re.compile(r"\baddress\b", re.I), records.words_after_to),
]
#: Intents that first find one contact, then act on it.
ACTIONS = ("delete", "retype")


def intent(text: str) -> str:
    kind = next((kind for kind, pattern in _INTENTS if pattern.search(text)), "list")
    if kind == "retype" and not kind_named(text):
        kind = "lookup"
    if kind == "lookup" and not query(text):
        return "list"
    return kind


def kind_named(text: str) -> str | None:
    return status_in(text, TYPES, SYNONYMS)


def query(text: str) -> str | None:
    """Who the request is about: a phone number, an e-mail address or a name."""
    return phone(text) or email(text) or next(iter(names(text)), None)


def find_call(text: str) -> Call:
    return "search_contacts", {"query": query(text) or "", "limit": 5}


def act(kind: str, text: str, contact: dict) -> Call:
    if kind == "delete":
        return "delete_contact", {"id": contact["id"]}
    return "update_contact", {"id": contact["id"], "contact_type": kind_named(text)}


def create_args(text: str) -> dict | None:
    name = next(iter(names(text)), None)
    if not name:
        return None
    first, _, last = name.partition(" ")
    args: dict = {"first_name": first, "contact_type": kind_named(text) or "lead"}
    details = {"last_name": last, "email": email(text), "phone": phone(text)}
    return args | {key: value for key, value in details.items() if value}


def list_args(text: str) -> dict:
    kind = kind_named(text)
    return {"limit": 20} | ({"contact_type": kind} if kind else {})


def record_plan(kind: str, text: str, today: date) -> tuple[str, dict] | None:
    """Showing one contact in full, or changing their phone, e-mail or address."""
    return records.record_kind(text, today, EDITS) if kind in ("list", "lookup") else None


def person(text: str) -> str:
    return next(iter(names(text)), "")


def next_calls(text: str, steps: list[Step], today: date) -> list[Call]:
    kind = intent(text)
    if plan := record_plan(kind, text, today):
        find = ("search_contacts", {"query": person(text), "limit": 5})
        return records.record_calls(plan[0], "contact", steps, find, plan[1])
    if kind in ("list", "lookup") and records.named_field(text, EDITS):
        return []  # the answer asks for the new value
    if kind in ACTIONS and query(text):
        return find_then_act(steps, find_call(text), "contacts", lambda c: act(kind, text, c))
    if steps:
        return []
    if kind == "count":
        return [("contact_counts_by_type", {})]
    if kind == "create":
        args = create_args(text)
        return [("create_contact", args)] if args else []
    if kind == "lookup":
        return [find_call(text)]
    return [("list_contacts", list_args(text))]


# Answers ---------------------------------------------------------------------------------
def full_name(contact: dict) -> str:
    return " ".join(filter(None, (contact["first_name"], contact["last_name"])))


def kind_label(kind: str) -> str:
    return kind.replace("_", " ")


def describe(contact: dict) -> str:
    details = ", ".join(filter(None, (contact["company"], contact["phone"], contact["email"])))
    kind = kind_label(contact["contact_type"])
    return f"{full_name(contact)} ({kind})" + (f": {details}" if details else "")


def asked_field(text: str) -> str | None:
    asked = (field for field, words in FIELDS.items() if re.search(rf"\b(?:{words})\b", text, re.I))
    return next(asked, None)


def lookup_answer(result: dict, text: str) -> str:
    contact, field = result["contacts"][0], asked_field(text)
    if not field:
        return f"Here's what I have: {describe(contact)}."
    noun = "phone number" if field == "phone" else field
    if not contact[field]:
        article = "an" if noun[0] in "ae" else "a"
        return f"I don't have {article} {noun} for {full_name(contact)}."
    return f"{full_name(contact)}'s {noun} is {contact[field]}."


def count_answer(result: dict, text: str) -> str:
    counts, kind = result["counts"], kind_named(text)
    if kind:
        return f"You have {plural(counts[kind], kind_label(kind))}."
    listed = ", ".join(f"{plural(n, kind_label(k))}" for k, n in counts.items() if n)
    return f"You have {plural(result['total'], 'contact')}: {listed or 'none yet'}."


def list_answer(result: dict, text: str) -> str:
    rows = result["contacts"]
    if not rows:
        return "I couldn't find any contacts matching that."
    lines = [f"- {describe(row)}" for row in rows]
    noun = kind_label(kind_named(text) or "contact")
    return "\n".join([f"You have {plural(result['total'], noun)}:", *lines])


def created_answer(result: dict, text: str) -> str:
    return f"Added {describe(result['contact'])}."


def updated_answer(result: dict, text: str) -> str:
    contact = result["contact"]
    return f"{full_name(contact)} is now a {kind_label(contact['contact_type'])}."


ANSWERS = {
    "search_contacts": lookup_answer,
    "contact_counts_by_type": count_answer,
    "list_contacts": list_answer,
    "create_contact": created_answer,
    "update_contact": updated_answer,
}
HELP = "Who do you mean? Tell me the person's or company's name."


def answer(text: str, steps: list[Step], today: date) -> str:
    kind = intent(text)
    if record_plan(kind, text, today):
        return records.record_answer(steps, "contact", person(text), describe)
    if not steps and (field := records.named_field(text, EDITS)):
        whose = f"{person(text)}'s" if person(text) else "the"
        return f"What should {whose} new {field.column} be?"
    if not steps:
        return "To add a contact I need at least a name." if kind == "create" else HELP
    last = steps[-1]
    if last.status != "ok":
        return failed(last)
    if last.name == "search_contacts" and (
        missing := not_one(last, "contacts", "contact", query(text) or "", describe)
    ):
        return missing
    write = ANSWERS.get(last.name, lambda result, _: result.get("summary", "Done."))
    return write(last.result, text)
