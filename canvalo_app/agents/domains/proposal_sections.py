"""A proposal's sections and the client it is for.

A larger proposal is priced in sections ("Main floor", "Exterior trim"), each a title and
its own priced lines. The proposal keeps its sections, each with its subtotal, and the
same lines flattened into `line_items` (each naming its section), so its subtotal, tax and
total are worked out exactly as a simple proposal's are.
"""

from __future__ import annotations

from marshmallow import fields, validate

from ..tools import ToolContext, ToolInput
from .contacts import named_contact
from .money import LineItem

MAX_SECTIONS = 20
#: What a refusal says when nothing was created.
NOT_CREATED = "Nothing was created"


class Section(ToolInput):
    title = fields.String(
        required=True,
        validate=validate.Length(1, 200),
        metadata={"description": "What this part of the job is, e.g. 'Main floor'."},
    )
    line_items = fields.List(
        fields.Nested(LineItem),
        required=True,
        validate=validate.Length(1, 100),
        metadata={"description": "This section's priced lines."},
    )


def line_amount(item: dict) -> float:
    return round(item.get("quantity", 1) * item.get("unit_price", 0), 2)


def sectioned(sections: list[dict]) -> dict:
    """`sections` with each line's amount and each section's subtotal, and their lines
    flattened into `line_items`, each naming its section."""
    priced, flat = [], []
    for section in sections:
        items = [
            {key: item[key] for key in ("description", "quantity", "unit_price") if key in item}
            for item in section["line_items"]
        ]
        items = [{**item, "amount": line_amount(item)} for item in items]
        subtotal = round(sum(item["amount"] for item in items), 2)
        priced.append({"title": section["title"], "line_items": items, "subtotal": subtotal})
        flat.extend({**item, "section": section["title"]} for item in items)
    return {"sections": priced, "line_items": flat}


def sections_subtotal(sections: list[dict]) -> float:
    """What the sections' lines add up to, before any rounding to the cent."""
    return sum(
        line["quantity"] * line["unit_price"] for part in sections for line in part["line_items"]
    )


def default_terms(profile: dict | None) -> str | None:
    """The business's payment terms as a proposal's terms, when its profile sets them."""
    days = (profile or {}).get("payment_terms_days")
    if not days:
        return None
    return f"Payment is due within {days} days of the invoice date."


def with_contact(values: dict, ctx: ToolContext) -> dict:
    """A new proposal linked to its client's contact: the one given by id, else the one its
    client's name names (refused when several do; with none, the name alone). The contact's
    e-mail is the client's when none was given."""
    if values.get("contact_id"):
        contact = ctx.store.get_record("contacts", values["contact_id"]) or {}
    else:
        contact = named_contact(ctx, values["client_name"], NOT_CREATED, "create it") or {}
        if contact:
            values = {**values, "contact_id": contact["id"]}
    if contact.get("email") and not values.get("client_email"):
        values = {**values, "client_email": contact["email"]}
    return values
