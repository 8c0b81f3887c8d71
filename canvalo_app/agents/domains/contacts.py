"""The contacts agent: clients, leads, vendors and the rest of the address book."""

from __future__ import annotations

from marshmallow import fields, validate

from ...store.base import Filter, Search
from ..tools import Agent, ToolContext, ToolInput
from .crud import Paging, RecordId, add_crud_tools

TYPES = ("lead", "client", "past_client", "vendor", "subcontractor", "partner")
#: The columns free text is looked for in.
SEARCHED = ("first_name", "last_name", "company", "email", "phone")

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
    return " ".join(filter(None, (contact["first_name"], contact["last_name"])))


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
