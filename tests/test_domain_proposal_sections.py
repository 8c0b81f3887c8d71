"""A proposal priced in sections, its terms and its client's contact (proposal_sections.py),
through the proposals agent's tools on the real store, on both stores."""

from __future__ import annotations

import pytest

from canvalo_app.agents.domains.contacts import matching_contacts
from canvalo_app.agents.domains.proposals import agent
from canvalo_app.agents.tools import execute
from canvalo_app.agents.zone import shown
from tests.agent_helpers import contact, proposal
from tests.conftest import BOTH_STORES

ITEM = [{"description": "Walls", "unit_price": 100}]


# Sections, terms and the client's contact -------------------------------------------------
WHOLE_JOB = [
    {
        "title": "Main floor",
        "line_items": [
            {"description": "Walls", "quantity": 4, "unit_price": 350},
            {"description": "Ceilings", "quantity": 4, "unit_price": 120},
        ],
    },
    {
        "title": "Trim",
        "line_items": [
            {"description": "Doors", "quantity": 6, "unit_price": 85.5},
            {"description": "Baseboards", "unit_price": 240.25},
        ],
    },
]


def by_hand(sections: list[dict], tax_rate: float, discount: float = 0.0) -> dict:
    """What the sections come to, worked out line by line."""
    parts = {
        part["title"]: round(
            sum(
                round(line.get("quantity", 1) * line["unit_price"], 2)
                for line in part["line_items"]
            ),
            2,
        )
        for part in sections
    }
    subtotal = round(sum(parts.values()), 2)
    tax = round((subtotal - discount) * tax_rate / 100, 2)
    return {
        "parts": parts,
        "subtotal": subtotal,
        "tax": tax,
        "total": round(subtotal - discount + tax, 2),
    }


@BOTH_STORES
def test_sections_give_subtotals_totals_terms_and_the_contact(ctx, stores):
    args = {"title": "Whole job", "client_name": "grace  kim", "discount_amount": 100}
    outcome = execute(agent, "create_proposal", {**args, "sections": WHOLE_JOB}, ctx)
    created, expected = outcome.result["proposal"], by_hand(WHOLE_JOB, 7.0, 100)
    assert {part["title"]: part["subtotal"] for part in created["sections"]} == expected["parts"]
    assert expected["parts"] == {"Main floor": 1880.0, "Trim": 753.25}
    assert (created["subtotal"], created["tax_amount"], created["total_amount"]) == (
        expected["subtotal"],
        expected["tax"],
        expected["total"],
    )
    assert [(line["section"], line["description"]) for line in created["line_items"]] == [
        ("Main floor", "Walls"),
        ("Main floor", "Ceilings"),
        ("Trim", "Doors"),
        ("Trim", "Baseboards"),
    ]
    assert created["terms"] == "Payment is due within 30 days of the invoice date."
    grace = contact(stores[0], "Grace")
    assert (created["contact_id"], created["client_email"]) == (grace["id"], grace["email"])
    assert shown(stores[0].get_record("proposals", created["id"]), ctx.zone) == created


@BOTH_STORES
def test_given_terms_and_an_unknown_client_are_kept_as_given(ctx):
    outcome = execute(
        agent,
        "create_proposal",
        {
            "title": "Shed",
            "client_name": "Zed Quinn",
            "terms": "Half up front.",
            "line_items": ITEM,
        },
        ctx,
    )
    created = outcome.result["proposal"]
    assert (created["terms"], created["contact_id"], created["sections"]) == (
        "Half up front.",
        None,
        [],
    )


@BOTH_STORES
@pytest.mark.parametrize("said", ["the Hendersons", "Mrs. Henderson", "Tom", "tom  henderson"])
def test_a_client_is_linked_as_an_appointments_client_is(ctx, stores, said):
    args = {"title": "Porch", "client_name": said, "line_items": ITEM}
    created = execute(agent, "create_proposal", args, ctx).result["proposal"]
    tom = contact(stores[0], "Tom")
    assert (created["contact_id"], created["client_email"]) == (tom["id"], tom["email"])


@BOTH_STORES
def test_several_matching_contacts_are_asked_about(ctx, stores):
    sara = stores[0].create_record("contacts", {"first_name": "Sara", "last_name": "Henderson"})
    tom, before = contact(stores[0], "Tom"), stores[0].count_records("proposals")
    args = {"title": "Porch", "client_name": "the Hendersons", "line_items": ITEM}
    outcome = execute(agent, "create_proposal", args, ctx)
    assert outcome.status == "error" and outcome.result["error"] == (
        "Several contacts match “the Hendersons”: Tom Henderson, Sara Henderson. Nothing was "
        f"created: ask which one, then create it with their contact_id (Tom Henderson: "
        f"{tom['id']}; Sara Henderson: {sara['id']})."
    )
    assert stores[0].count_records("proposals") == before
    chosen = execute(agent, "create_proposal", {**args, "contact_id": sara["id"]}, ctx)
    assert chosen.result["proposal"]["contact_id"] == sara["id"]


@BOTH_STORES
@pytest.mark.parametrize("blank", [" ", "   ", "\t\n"])
def test_a_blank_client_name_is_refused_and_names_no_one(ctx, stores, blank):
    # Contacts with no company, whose company an empty name would otherwise equal.
    stores[0].create_record("contacts", {"first_name": "Ann"})
    before = stores[0].count_records("proposals")
    args = {"title": "Porch", "client_name": blank, "line_items": ITEM}
    outcome = execute(agent, "create_proposal", args, ctx)
    assert outcome.result["fields"] == {"client_name": ["Must not be blank."]}
    assert stores[0].count_records("proposals") == before
    assert matching_contacts(ctx, blank) == [] and matching_contacts(ctx, "Mrs.") == []


@BOTH_STORES
def test_plain_lines_replace_sections_and_sections_replace_lines(ctx, stores):
    whole_house = proposal(stores[0], "PRO-202")
    rooms = [{"description": "Rooms", "quantity": 3, "unit_price": 450}]
    lines = execute(agent, "update_proposal", {"id": whole_house["id"], "line_items": rooms}, ctx)
    assert lines.result["proposal"]["sections"] == []
    assert lines.result["proposal"]["subtotal"] == 3 * 450
    parts = execute(agent, "update_proposal", {"id": whole_house["id"], "sections": WHOLE_JOB}, ctx)
    expected = by_hand(WHOLE_JOB, whole_house["tax_rate"], whole_house["discount_amount"])
    assert parts.result["proposal"]["total_amount"] == expected["total"]
    assert len(parts.result["proposal"]["line_items"]) == 4


@BOTH_STORES
def test_totals_of_a_sectioned_proposal_with_their_chart(ctx, stores):
    whole_house = proposal(stores[0], "PRO-202")
    expected = by_hand(
        whole_house["sections"], whole_house["tax_rate"], whole_house["discount_amount"]
    )
    result = execute(agent, "proposal_totals", {"id": whole_house["id"]}, ctx).result
    assert result["sections"] == [{"title": t, "subtotal": v} for t, v in expected["parts"].items()]
    assert (result["subtotal"], result["total_amount"], result["consistent"]) == (
        expected["subtotal"],
        expected["total"],
        True,
    )
    [chart] = result["stat_data"]
    assert (chart["kind"], chart["title"]) == ("breakdown", "PRO-202 by section")
    assert [(v["label"], v["value"], v["unit"]) for v in chart["values"]] == [
        (title, value, "usd") for title, value in expected["parts"].items()
    ]
