"""What invoices and proposals share: line items, their totals, and document numbering."""

from __future__ import annotations

import re

from marshmallow import ValidationError, fields, validate, validates_schema

from ...store.base import Search
from ..context import business_profile
from ..formatting import money
from ..tools import MAX_AMOUNT, Amount, Reference, ToolContext, ToolError, ToolInput
from .crud import ALL_ROWS

#: Columns whose change means the totals must be worked out again.
PRICE_FIELDS = ("line_items", "tax_rate", "discount_amount")


class LineItem(ToolInput):
    description = fields.String(
        required=True, validate=validate.Length(1, 300), metadata={"description": "The work."}
    )
    quantity = fields.Float(
        load_default=1.0,
        validate=validate.Range(min=0, max=100_000, min_inclusive=False),
        metadata={"description": "How many units (default 1)."},
    )
    unit_price = Amount(
        maximum=10_000_000, required=True, metadata={"description": "Price of one unit in dollars."}
    )


class PricedDocument(ToolInput):
    """The fields invoices and proposals share: who it is for and what it prices."""

    client_name = fields.String(
        required=True, validate=validate.Length(1, 200), metadata={"description": "The client."}
    )
    client_email = fields.Email(validate=validate.Length(max=254))
    contact_id = Reference(
        "contacts", "contact", metadata={"description": "The client's contact record."}
    )
    project_id = Reference(
        "projects", "project", metadata={"description": "The project it is for."}
    )
    line_items = fields.List(
        fields.Nested(LineItem),
        required=True,
        validate=validate.Length(1, 100),
        metadata={"description": "The priced lines; totals are computed from them."},
    )
    tax_rate = fields.Float(
        validate=validate.Range(0, 100),
        metadata={"description": "Sales tax percent; defaults to the business's default rate."},
    )
    discount_amount = Amount(
        maximum=10_000_000, metadata={"description": "Dollars off the subtotal, before tax."}
    )
    notes = fields.String(validate=validate.Length(max=2000))

    @validates_schema
    def subtotal_in_bounds(self, data: dict, **kwargs) -> None:
        lines = data.get("line_items") or []
        if sum(line["quantity"] * line["unit_price"] for line in lines) > MAX_AMOUNT:
            raise ValidationError(
                f"The lines add up to more than {money(MAX_AMOUNT)}.", "line_items"
            )


def totals(line_items: list[dict], tax_rate: float, discount: float = 0.0) -> dict:
    """Each line's amount, then subtotal, tax on (subtotal - discount), and the total."""
    items = [
        {**item, "amount": round(item.get("quantity", 1) * item.get("unit_price", 0), 2)}
        for item in line_items
    ]
    subtotal = round(sum(item["amount"] for item in items), 2)
    if discount > subtotal:
        raise ToolError(f"The discount ({money(discount)}) is more than the subtotal.")
    tax = round((subtotal - discount) * tax_rate / 100, 2)
    return {
        "line_items": items,
        "subtotal": subtotal,
        "tax_rate": tax_rate,
        "tax_amount": tax,
        "discount_amount": discount,
        "total_amount": round(subtotal - discount + tax, 2),
    }


def priced(values: dict, ctx: ToolContext, existing: dict | None) -> dict:
    """`values` with totals recomputed when a priced field changes or the record is new.

    Fields not given come from `existing`, and a new document's tax rate from the business
    profile's default.
    """
    if existing is not None and not any(key in values for key in PRICE_FIELDS):
        return values
    base = existing or {
        "line_items": [],
        "tax_rate": (business_profile(ctx.store) or {}).get("default_tax_rate") or 0.0,
        "discount_amount": 0.0,
    }
    merged = {key: values.get(key, base[key]) for key in PRICE_FIELDS}
    return {**values, **totals(merged["line_items"], merged["tax_rate"], merged["discount_amount"])}


def next_number(ctx: ToolContext, table: str, column: str, prefix: str, first: int) -> str:
    """The next free document number: one past the highest `PREFIX-n` in use, else `first`."""
    rows = ctx.store.list_records(table, search=Search((column,), f"{prefix}-"), limit=ALL_ROWS)
    used = [
        int(match[1])
        for row in rows
        if (match := re.fullmatch(rf"{prefix}-(\d+)", row[column] or "", re.IGNORECASE))
    ]
    return f"{prefix}-{max(used) + 1 if used else first}"
