"""A booking's client name is linked to the one contact it names, on both stores: directly,
and through the chat with a scripted model. The demo's contacts include Tom Henderson, Maria
Lopez and Dan Smith of Smith Dental; each user has their own."""

from __future__ import annotations

import pytest

from canvalo_app.agents.domains.appointments import agent
from canvalo_app.agents.tools import execute
from tests.agent_helpers import contact, refused, scripted_call
from tests.conftest import BOTH_STORES

pytestmark = BOTH_STORES
THURSDAY = "2026-11-26T10:00"


def book(ctx, **args):
    return execute(
        agent, "create_appointment", {"title": "Visit", "start_time": THURSDAY, **args}, ctx
    )


@pytest.mark.parametrize(
    "said",
    [
        "the Hendersons",
        "Hendersons",
        "Henderson family",
        "Mrs. Henderson",
        "Mr Henderson",
        "Tom Henderson",
        "tom henderson",
        "Henderson's",
        "Tom",
    ],
)
def test_a_name_links_the_one_contact_it_names(ctx, stores, said):
    outcome = book(ctx, client_name=said)
    tom = contact(stores[0], "Tom")
    booked = stores[0].get_record("appointments", outcome.result["appointment"]["id"])
    assert (booked["contact_id"], booked["client_name"]) == (tom["id"], "Tom Henderson")
    assert outcome.result["contact"] == "Tom Henderson"
    assert outcome.summary == (
        "Created appointment “Visit” on Thursday, November 26, 2026 at 10:00 with Tom Henderson"
    )


def test_a_company_name_links_its_contact(ctx, stores):
    booked = book(ctx, client_name="Smith Dental").result["appointment"]
    assert booked["contact_id"] == contact(stores[0], "Dan")["id"]


def test_several_matching_contacts_are_asked_about(ctx, stores):
    sara = stores[0].create_record("contacts", {"first_name": "Sara", "last_name": "Henderson"})
    tom = contact(stores[0], "Tom")
    outcome = book(ctx, client_name="the Hendersons")
    assert refused(outcome) and outcome.result["error"] == (
        "Several contacts match “the Hendersons”: Tom Henderson, Sara Henderson. Nothing was "
        f"booked: ask which one, then book it with their contact_id (Tom Henderson: {tom['id']}; "
        f"Sara Henderson: {sara['id']})."
    )
    assert stores[0].count_records("appointments") == 4
    chosen = book(ctx, contact_id=sara["id"]).result["appointment"]
    assert (chosen["contact_id"], chosen["client_name"]) == (sara["id"], "Sara Henderson")
    # A full name that only one of them has needs no question.
    assert book(ctx, client_name="Sara Henderson", start_time="2026-11-26T12:00").status == "ok"


def test_with_no_matching_contact_it_is_booked_by_name_and_says_so(ctx, stores):
    outcome = book(ctx, client_name="Zed Quinn")
    booked = stores[0].get_record("appointments", outcome.result["appointment"]["id"])
    assert (booked["contact_id"], booked["client_name"]) == (None, "Zed Quinn")
    assert outcome.result["contact"] is None
    assert (
        outcome.result["note"]
        == "No contact matches “Zed Quinn”, so it is booked with the name only."
    )
    assert outcome.summary.endswith("at 10:00. " + outcome.result["note"])
    # Another word than the contact's own is no match: "Hender" is not Henderson.
    assert book(ctx, client_name="Hender", start_time="2026-11-26T12:00").result["contact"] is None


def test_only_the_callers_own_contacts_are_linked(ctx, stores):
    stores[0].delete_record("contacts", contact(stores[0], "Tom")["id"])
    outcome = book(ctx, client_name="the Hendersons")
    assert outcome.result["appointment"]["contact_id"] is None
    theirs = contact(stores[1], "Tom")
    given = book(ctx, contact_id=theirs["id"], start_time="2026-11-26T12:00")
    assert refused(given) and given.result["fields"] == {"contact_id": ["No contact with that id."]}


def test_a_booking_without_a_client_links_nothing(ctx):
    outcome = book(ctx)
    assert outcome.result["appointment"]["contact_id"] is None and "contact" not in outcome.result


def test_a_scripted_model_books_the_hendersons(app, client, users, live):
    event, result = scripted_call(
        app, client, users, "appointments", "create_appointment",
        title="Estimate", client_name="the Hendersons", start_time="2031-03-04T09:00",
    )  # fmt: skip
    assert event["status"] == "ok" and result["contact"] == "Tom Henderson"
    assert result["appointment"]["contact_id"] == contact(live, "Tom")["id"]
