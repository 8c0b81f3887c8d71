"""The contacts agent: clients, leads, vendors and the rest of the address book; and the one
contact a client's name names — "the Hendersons", "Mrs. Henderson", "Tom Henderson", a
company — which appointments and proposals are linked to."""

from __future__ import annotations

import re

from marshmallow import ValidationError, fields, validate

from ...store.base import Filter, Search
from ..tools import Agent, ToolContext, ToolError, ToolInput
from .crud import Paging, RecordId, add_crud_tools

TYPES = ("lead", "client", "past_client", "vendor", "subcontractor", "partner")
#: The columns free text is looked for in.
SEARCHED = ("first_name", "last_name", "company", "email", "phone")
#: How a refusal for a name that several contacts have begins.
SEVERAL = "Several contacts match"
#: Words and marks that are not part of the name itself: titles, "the", "family", possessives.
_NOT_A_NAME = re.compile(r"\b(?:the|family|mr|mrs|ms|miss|mx|dr)\b\.?|['’]s\b|(?<=s)['’]", re.I)

agent = Agent(
    name="contacts",
    description="Contacts: clients, leads, vendors, subcontractors and partners.",
    instructions=(
        "You manage the contractor's contacts. Use search_contacts to find someone by name, "
        "company, e-mail or phone before answering about them or changing them; if several "
        "match, ask which. A new contact needs at least a first name; ask for missing details "
        "rather than guessing. Use contact_counts_by_type for how many of each kind there are. "
        "Never invent phone numbers, e-mail addresses or people."
    ),
)


class ContactFields(ToolInput):
    first_name = fields.String(required=True, validate=validate.Length(1, 100))
    last_name = fields.String(validate=validate.Length(1, 100))
    company = fields.String(validate=validate.Length(1, 200))
    email = fields.Email(validate=validate.Length(max=254))
    phone = fields.String(validate=validate.Length(3, 40))
    contact_type = fields.String(
        validate=validate.OneOf(TYPES), metadata={"description": "What they are to the business."}
    )
    address = fields.String(validate=validate.Length(max=500))
    notes = fields.String(validate=validate.Length(max=2000))


class ContactUpdate(RecordId, ContactFields):
    pass


class ContactList(Paging):
    contact_type = fields.String(validate=validate.OneOf(TYPES), metadata={"description": "Kind."})
    search = fields.String(
        validate=validate.Length(1, 200),
        metadata={"description": "Text in the name, company, e-mail or phone."},
    )


class ContactSearch(ToolInput):
    query = fields.String(
        required=True,
        validate=validate.Length(1, 200),
        metadata={"description": "Words to find, e.g. 'Maria Lopez', 'Smith Dental', '555-0101'."},
    )
    contact_type = fields.String(validate=validate.OneOf(TYPES), metadata={"description": "Kind."})
    limit = fields.Integer(load_default=10, validate=validate.Range(1, 50))


def full_name(contact: dict) -> str:
    return " ".join(filter(None, (contact.get("first_name"), contact.get("last_name"))))


def label(contact: dict) -> str:
    company = f" ({contact['company']})" if contact["company"] else ""
    return f"contact {full_name(contact)}{company}"


def type_filter(args: dict) -> list[Filter]:
    return [Filter("contact_type", "eq", args["contact_type"])] if "contact_type" in args else []


def longest_word(text: str) -> str:
    """The word most likely to narrow a search; the store matches one substring at a time."""
    return max(text.split(), key=len, default=text)


def list_filters(args: dict, ctx: ToolContext) -> tuple[list[Filter], Search | None]:
    search = Search(SEARCHED, longest_word(args["search"])) if "search" in args else None
    return type_filter(args), search


add_crud_tools(
    agent,
    "contacts",
    "contact",
    "contacts",
    create=ContactFields(),
    update=ContactUpdate(partial=tuple(ContactFields().fields)),
    list_schema=ContactList(),
    list_filters=list_filters,
    label=label,
)


@agent.tool(
    "search_contacts",
    ContactSearch(),
    "Find contacts whose name, company, e-mail or phone contain every word of the query.",
)
def search_contacts(ctx: ToolContext, args: dict) -> dict:
    words = args["query"].lower().split()
    candidates = ctx.store.list_records(
        "contacts",
        filters=type_filter(args),
        search=Search(SEARCHED, longest_word(args["query"])),
        order_by="first_name",
        limit=500,
    )
    found = [
        contact
        for contact in candidates
        if all(word in " ".join(str(contact[c] or "") for c in SEARCHED).lower() for word in words)
    ][: args["limit"]]
    noun = "contact" if len(found) == 1 else "contacts"
    summary = f"Found {len(found)} {noun} for “{args['query']}”"
    return {"contacts": found, "count": len(found), "summary": summary}


@agent.tool("contact_counts_by_type", ToolInput(), "How many contacts there are of each type.")
def contact_counts_by_type(ctx: ToolContext, args: dict) -> dict:
    counts = {
        kind: ctx.store.count_records("contacts", filters=[Filter("contact_type", "eq", kind)])
        for kind in TYPES
    }
    total = sum(counts.values())
    listed = ", ".join(f"{kind.replace('_', ' ')}: {n}" for kind, n in counts.items() if n)
    return {"counts": counts, "total": total, "summary": f"{total} contacts: {listed or 'none'}"}


# The contact a client's name names ---------------------------------------------------------
def not_blank(value: str) -> None:
    """Refuse a name of only spaces: it names no one."""
    if not value.strip():
        raise ValidationError("Must not be blank.")


def name_words(name: str) -> list[str]:
    """The words of a client's name without titles, "the", "family" or possessives:
    "Mrs. Henderson's" gives ["henderson"]."""
    return re.findall(r"[\w'’-]+", _NOT_A_NAME.sub(" ", name.lower()))


def spellings(word: str) -> set[str]:
    """A word of a name, and what it is without a plural ending ("hendersons": "henderson")."""
    return {word, word.removesuffix("s"), word.removesuffix("es")}


def matching_contacts(ctx: ToolContext, name: str) -> list[dict]:
    """The caller's contacts a client's name names: each of its words is their first or last
    name ("the Hendersons", "Mrs. Henderson", "Tom Henderson"), or it is their company. A
    name with no words of its own (blank, or only "Mrs.") names no one."""
    words = name_words(name)
    if not words:
        return []
    term = min(spellings(max(words, key=len)), key=len)  # the store finds a substring
    rows = ctx.store.list_records(
        "contacts", search=Search(("first_name", "last_name", "company"), term), limit=200
    )

    def named(contact: dict) -> bool:
        own = {(contact[key] or "").lower() for key in ("first_name", "last_name")}
        company = (contact["company"] or "").lower()
        return all(spellings(word) & own for word in words) or " ".join(words) == company

    return [contact for contact in rows if named(contact)]


def named_contact(ctx: ToolContext, name: str, undone: str, redo: str) -> dict | None:
    """The one contact a client's name names, or None when none does. When several do, the
    tool is refused with their names and ids: `undone` says what was left undone ("Nothing
    was booked") and `redo` what to do once the user has chosen ("book it")."""
    found = matching_contacts(ctx, name)
    if len(found) > 1:
        listed = ", ".join(map(full_name, found[:5]))
        ids = "; ".join(f"{full_name(contact)}: {contact['id']}" for contact in found[:5])
        raise ToolError(
            f"{SEVERAL} “{name}”: {listed}. {undone}: ask which one, then {redo} with their "
            f"contact_id ({ids})."
        )
    return found[0] if found else None
