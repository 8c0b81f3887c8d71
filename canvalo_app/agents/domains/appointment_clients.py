"""Who an appointment is with: the one contact a client's name names — "the Hendersons",
"Mrs. Henderson", "Tom Henderson", a company — or the name alone when none does (the
matching is the contacts' own, see `.contacts.named_contact`)."""

from __future__ import annotations

from ..tools import ToolContext
from .contacts import full_name, named_contact
from .crud import fetch

NOT_BOOKED = "Nothing was booked"


def linked(ctx: ToolContext, args: dict) -> tuple[dict, str | None]:
    """`args` with the client linked to the one contact they name, and that contact's name;
    refused when several match. With none, `args` as they were."""
    if args.get("contact_id"):
        contact = fetch(ctx, "contacts", args["contact_id"], "contact")
        return {"client_name": full_name(contact), **args}, full_name(contact)
    if not args.get("client_name"):
        return args, None
    found = named_contact(ctx, args["client_name"], NOT_BOOKED, "book it")
    if found is None:
        return args, None
    name = full_name(found)
    return {**args, "contact_id": found["id"], "client_name": name}, name
