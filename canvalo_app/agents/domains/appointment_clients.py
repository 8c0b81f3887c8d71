"""Who an appointment is with: the one contact a client's name names — "the Hendersons",
"Mrs. Henderson", "Tom Henderson", a company — or the name alone when none does."""

from __future__ import annotations

import re

from ...store.base import Search
from ..tools import ToolContext, ToolError
from .contacts import full_name
from .crud import fetch

NOT_BOOKED = "Nothing was booked"
#: How a refusal for a name that several contacts have begins.
SEVERAL = "Several contacts match"
#: Words and marks that are not part of the name itself: titles, "the", "family", possessives.
_NOT_A_NAME = re.compile(r"\b(?:the|family|mr|mrs|ms|miss|mx|dr)\b\.?|['’]s\b|(?<=s)['’]", re.I)


def name_words(name: str) -> list[str]:
    """The words of a client's name without titles, "the", "family" or possessives:
    "Mrs. Henderson's" gives ["henderson"]."""
    return re.findall(r"[\w'’-]+", _NOT_A_NAME.sub(" ", name.lower()))


def spellings(word: str) -> set[str]:
    """A word of a name, and what it is without a plural ending ("hendersons": "henderson")."""
    return {word, word.removesuffix("s"), word.removesuffix("es")}


def matching_contacts(ctx: ToolContext, name: str) -> list[dict]:
    """The caller's contacts a client's name names: each of its words is their first or last
    name ("the Hendersons", "Mrs. Henderson", "Tom Henderson"), or it is their company."""
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


def linked(ctx: ToolContext, args: dict) -> tuple[dict, str | None]:
    """`args` with the client linked to the one contact they name, and that contact's name;
    refused when several match. With none, `args` as they were."""
    if args.get("contact_id"):
        contact = fetch(ctx, "contacts", args["contact_id"], "contact")
        return {"client_name": full_name(contact), **args}, full_name(contact)
    if not args.get("client_name"):
        return args, None
    found = matching_contacts(ctx, args["client_name"])
    if len(found) > 1:
        listed = ", ".join(map(full_name, found[:5]))
        ids = "; ".join(f"{full_name(contact)}: {contact['id']}" for contact in found[:5])
        raise ToolError(
            f"{SEVERAL} “{args['client_name']}”: {listed}. {NOT_BOOKED}: ask "
            f"which one, then book it with their contact_id ({ids})."
        )
    if not found:
        return args, None
    name = full_name(found[0])
    return {**args, "contact_id": found[0]["id"], "client_name": name}, name
