"""What a project has been billed (domains/receivables.py), through the invoices agent's
invoice_project on the real store: the draft bills the budget not yet invoiced, worked out
here from the stored rows."""

from __future__ import annotations

import pytest

from canvalo_app.agents.domains.invoices import agent
from canvalo_app.agents.tools import execute
from tests.agent_helpers import invoice, project


def unbilled(store, project: dict) -> float:
    """The budget less what the project's own invoices that are not cancelled billed before
    tax: their subtotals less their discounts."""
    billed = [
        i["subtotal"] - i["discount_amount"]
        for i in store.list_records("invoices")
        if i["project_id"] == project["id"] and i["status"] != "cancelled"
    ]
    return round(project["budget"] - sum(billed), 2)


def test_invoice_project_drafts_the_unbilled_budget(ctx, stores):
    smith = project(stores[0], "Smith Dental")
    left = unbilled(stores[0], smith)
    assert left == 6000.0  # the $8,500 budget less the $2,500 deposit, INV-1003
    outcome = execute(agent, "invoice_project", {"project": "Smith"}, ctx)
    drafted = outcome.result["invoice"]
    assert outcome.summary == "Drafted invoice INV-1007 for Dan Smith for $6,420.00"
    assert drafted["project_id"] == smith["id"] and outcome.result["counted_invoices"] == [
        "INV-1003"
    ]
    assert (drafted["subtotal"], drafted["status"], drafted["client_name"]) == (
        left,
        "draft",
        "Dan Smith",
    )
    again = execute(agent, "invoice_project", {"project": "Smith"}, ctx)
    assert (
        again.result["error"]
        == "Smith Dental office interior is already invoiced in full ($8,500.00)."
    )
    extra = execute(agent, "invoice_project", {"project": "smith", "amount": 400}, ctx)
    assert extra.result["error"] == (
        "$400.00 is more than is left to invoice on Smith Dental office interior: $0.00 of its "
        "$8,500.00 budget ($8,500.00 invoiced already)."
    )
    for words, error in [("Zed", "No project matches “Zed”."), ("e", "Several projects match")]:
        assert (
            execute(agent, "invoice_project", {"project": words}, ctx)
            .result["error"]
            .startswith(error)
        )


def test_invoice_project_counts_the_clients_earlier_invoices(ctx, stores):
    """INV-1002 billed Tom Henderson $3,200 for his repaint: the draft bills what is left,
    whether or not INV-1002 names the project, unless he has another project it may be for."""
    henderson = project(stores[0], "Henderson")
    earlier = invoice(stores[0], "INV-1002")
    assert unbilled(stores[0], henderson) == 12000.0 - earlier["subtotal"] == 8800.0
    stores[0].update_record("invoices", earlier["id"], {"project_id": None})
    outcome = execute(agent, "invoice_project", {"project": "Henderson"}, ctx)
    assert outcome.result["invoice"]["subtotal"] == 8800.0
    assert (outcome.result["already_invoiced"], outcome.result["counted_invoices"]) == (
        3200.0,
        ["INV-1002"],
    )
    stores[0].delete_record("invoices", outcome.result["invoice"]["id"])
    stores[0].create_record(
        "projects", {"name": "Garage doors", "client_name": "tom  henderson", "budget": 900}
    )
    outcome = execute(agent, "invoice_project", {"project": "exterior repaint"}, ctx)
    assert outcome.result["invoice"]["subtotal"] == 12000.0
    assert outcome.result["unassigned_invoices"] == ["INV-1002"]


def test_invoice_project_bills_no_more_than_is_left_after_discounts(ctx, stores):
    """INV-1003's $2,500 deposit with $500 off billed $2,000 of the $8,500 budget."""
    deposit = invoice(stores[0], "INV-1003")
    stores[0].update_record("invoices", deposit["id"], {"discount_amount": 500.0})
    too_much = execute(agent, "invoice_project", {"project": "Smith", "amount": 6500.01}, ctx)
    assert too_much.result["error"] == (
        "$6,500.01 is more than is left to invoice on Smith Dental office interior: $6,500.00 "
        "of its $8,500.00 budget ($2,000.00 invoiced already)."
    )
    assert stores[0].count_records("invoices") == 7
    part = execute(agent, "invoice_project", {"project": "Smith", "amount": 6000}, ctx).result
    assert (part["invoice"]["subtotal"], part["already_invoiced"]) == (6000.0, 2000.0)
    rest = execute(agent, "invoice_project", {"project": "Smith"}, ctx).result
    assert (rest["invoice"]["subtotal"], rest["already_invoiced"]) == (500.0, 8000.0)


@pytest.mark.parametrize("budget", [{"budget": 0}, {}])  # set to nothing, or never set
def test_a_project_without_a_budget_needs_an_amount(ctx, stores, budget):
    stores[0].create_record("projects", {"name": "Garage doors", **budget})
    asked = execute(agent, "invoice_project", {"project": "Garage"}, ctx)
    assert asked.result["error"] == (
        "Garage doors has no budget, so what is left to invoice is unknown: ask the user for "
        "the amount to bill (before tax)."
    )
    given = execute(agent, "invoice_project", {"project": "Garage", "amount": 900}, ctx)
    assert given.result["invoice"]["subtotal"] == 900.0
