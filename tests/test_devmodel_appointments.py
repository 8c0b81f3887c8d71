"""The offline development model drives the appointments agent: its rules read the user's words
into tool calls on the real store, and its templated answers read the results. These are
the development model's own tests; the appointments agent's are in test_domain_appointments.py."""

from __future__ import annotations

from datetime import datetime, time

import pytest

from canvalo_app.agents.context import today_for
from canvalo_app.agents.domains.appointments import agent
from canvalo_app.agents.formatting import day
from canvalo_app.devmodel.dates import find_date
from tests.agent_helpers import (
    NEW_YORK,
    PACIFIC,
    agent_types,
    appointment,
    assert_cancel_waits_for_confirmation,
    chat,
    contact,
    pacific_business,
    tool_calls,
    user_store,
    utc,
)
from tests.conftest import BOTH_STORES
from tests.devmodel_helpers import drive, first_calls


# Offline rules ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "name", "args"),
    [
        (
            "what's on my calendar this week?",
            "list_appointments",
            {"limit": 20, "from_date": "2026-11-23", "to_date": "2026-11-29"},
        ),
        (
            "what's on my schedule next week?",
            "list_appointments",
            {"limit": 20, "from_date": "2026-11-30", "to_date": "2026-12-06"},
        ),
        (
            "what do I have tomorrow?",
            "list_appointments",
            {"limit": 20, "from_date": "2026-11-24", "to_date": "2026-11-24"},
        ),
        ("show my appointments", "list_appointments", {"limit": 20, "upcoming_only": True}),
        ("do I have any free slots on Friday?", "suggest_free_slots", {"date": "2026-11-27"}),
        (
            "book Maria Lopez for next Tuesday at 10am",
            "create_appointment",
            {
                "title": "Appointment with Maria Lopez",
                "start_time": "2026-12-01T10:00",
                "client_name": "Maria Lopez",
            },
        ),
        (
            "schedule an estimate with Priya Shah on Dec 3 at 2pm for 90 minutes",
            "create_appointment",
            {
                "title": "Estimate with Priya Shah",
                "start_time": "2026-12-03T14:00",
                "client_name": "Priya Shah",
                "appointment_type": "estimate",
                "duration_minutes": 90,
            },
        ),
        (
            "do I have a conflict on Wednesday at 2pm?",
            "check_conflicts",
            {"start_time": "2026-11-25T14:00:00", "duration_minutes": 60},
        ),
        (
            "cancel the Henderson walk-through",
            "list_appointments",
            {"upcoming_only": True, "limit": 5, "search": "Henderson"},
        ),
        ("invoice the Smith project and schedule the final walk-through", "suggest_free_slots", {}),
        (
            "book the Hendersons for Tuesday at 9",
            "create_appointment",
            {
                "title": "Appointment with the Hendersons",
                "start_time": "2026-11-24T09:00",
                "client_name": "the Hendersons",
            },
        ),
        (
            "book Mrs. Henderson for a site visit next Tuesday at 9",
            "create_appointment",
            {
                "title": "Site visit with Mrs. Henderson",
                "start_time": "2026-12-01T09:00",
                "client_name": "Mrs. Henderson",
                "appointment_type": "site_visit",
            },
        ),
        (
            "cancel the Priya Shah consultation",
            "list_appointments",
            {"upcoming_only": True, "limit": 5, "search": "Priya Shah"},
        ),
    ],
)
def test_rules_first_call(text, name, args):
    assert [(c.name, c.input) for c in first_calls(agent, text)] == [(name, args)]


def test_rules_calendar_this_week(ctx):
    _, reply = drive(agent, "what's on my calendar this week?", ctx)
    assert reply == (
        "You have 2 appointments from Monday, November 23, 2026 to Sunday, November 29, 2026:\n"
        "- Estimate: Lopez cabinets (Maria Lopez), Tuesday, November 24, 2026, 9:00 AM-10:00 AM\n"
        "- Henderson final walk-through (Tom Henderson), Wednesday, November 25, 2026, "
        "2:00 PM-3:00 PM"
    )
    _, reply = drive(agent, "what do I have on Saturday?", ctx)
    assert reply == "You have nothing booked on Saturday, November 28, 2026."


def test_rules_free_slots(ctx):
    _, reply = drive(agent, "do I have any free slots on Tuesday?", ctx)
    assert reply == (
        "Free time (at least 60 minutes, in working hours):\n"
        "- Tuesday, November 24, 2026: 8:00 AM-9:00 AM, 10:00 AM-5:00 PM"
    )


def test_rules_book_an_appointment(ctx, stores):
    steps, reply = drive(agent, "book Maria Lopez for next Tuesday at 10am", ctx)
    booked = appointment(stores[0], "Appointment with Maria Lopez")
    assert (booked["start_time"], booked["end_time"], booked["client_name"]) == (
        "2026-12-01T15:00:00+00:00",  # 10:00 in New York
        "2026-12-01T16:00:00+00:00",
        "Maria Lopez",
    )
    assert reply == (
        "Booked “Appointment with Maria Lopez” on Tuesday, December 1, 2026 from 10:00 AM to "
        "11:00 AM, linked to your contact Maria Lopez."
    )


def test_rules_a_clash_books_nothing_and_offers_free_time(ctx, stores):
    steps, reply = drive(agent, "book Grace Kim tomorrow at 9:30", ctx)
    assert [(s.name, s.status) for s in steps] == [
        ("create_appointment", "error"),
        ("suggest_free_slots", "ok"),
    ]
    assert stores[0].count_records("appointments") == 4
    assert reply == (
        "I didn't book it: That time overlaps “Estimate: Lopez cabinets” on Tuesday, November 24, "
        "2026 at 09:00.\nFree time (at least 60 minutes, in working hours):\n"
        "- Tuesday, November 24, 2026: 8:00 AM-9:00 AM, 10:00 AM-5:00 PM"
    )


def test_rules_ask_for_a_time_when_none_was_given(ctx, stores):
    steps, reply = drive(
        agent, "invoice the Smith project and schedule the final walk-through", ctx
    )
    assert [s.name for s in steps] == ["suggest_free_slots"]
    assert reply.startswith(
        "What day and time should I book the final walk-through with Smith for?\n"
        "Free time (at least 60 minutes, in working hours):\n"
        "- Tuesday, November 24, 2026: 8:00 AM-9:00 AM, 10:00 AM-5:00 PM\n"
    )
    assert stores[0].count_records("appointments") == 4


def test_rules_cancel_waits_for_confirmation(ctx, stores):
    steps, reply = drive(agent, "cancel the Henderson walk-through", ctx)
    assert [(s.name, s.status) for s in steps] == [
        ("list_appointments", "ok"),
        ("cancel_appointment", "pending_confirmation"),
    ]
    assert reply.startswith("I've asked you to confirm: Cancel the appointment “Henderson final")
    assert reply.endswith("Nothing changes until you confirm it in the app.")
    assert appointment(stores[0], "walk-through")["status"] == "confirmed"
    _, reply = drive(agent, "cancel the Zed appointment", ctx)
    assert reply == "I couldn't find any upcoming appointment matching “Zed”."


def test_rules_book_and_answer_in_the_business_time(pacific):
    _, reply = drive(agent, "book Maria Lopez for next Tuesday at 10am", pacific)
    assert reply == (
        "Booked “Appointment with Maria Lopez” on Tuesday, December 1, 2026 from 10:00 AM to "
        "11:00 AM. No contact matches “Maria Lopez”, so it is booked with the name only."
    )
    assert appointment(pacific.store, "Maria")["start_time"] == "2026-12-01T18:00:00+00:00"
    _, reply = drive(agent, "what do I have next Tuesday?", pacific)
    assert reply == (
        "You have 1 appointment on Tuesday, December 1, 2026:\n"
        "- Appointment with Maria Lopez (Maria Lopez), Tuesday, December 1, 2026, "
        "10:00 AM-11:00 AM"
    )
    _, reply = drive(agent, "do I have any free slots next Tuesday?", pacific)
    assert reply == (
        "Free time (at least 60 minutes, in working hours):\n"
        "- Tuesday, December 1, 2026: 8:00 AM-10:00 AM, 11:00 AM-5:00 PM"
    )


@BOTH_STORES
@pytest.mark.parametrize(
    ("text", "reply"),
    [
        (
            "book the Hendersons for Thursday at 9",
            "Booked “Appointment with the Hendersons” on Thursday, November 26, 2026 from 9:00 AM "
            "to 10:00 AM, linked to your contact Tom Henderson.",
        ),
        (
            "book Zed Quinn for Thursday at 9",
            "Booked “Appointment with Zed Quinn” on Thursday, November 26, 2026 from 9:00 AM to "
            "10:00 AM. No contact matches “Zed Quinn”, so it is booked with the name only.",
        ),
    ],
)
def test_rules_book_a_client_by_their_contact(ctx, stores, text, reply):
    steps, answer = drive(agent, text, ctx)
    assert answer == reply
    booked = stores[0].get_record("appointments", steps[-1].result["appointment"]["id"])
    tom = contact(stores[0], "Tom")["id"] if "Hendersons" in text else None
    assert booked["contact_id"] == tom


@BOTH_STORES
def test_rules_ask_which_contact_when_several_match(ctx, stores):
    stores[0].create_record("contacts", {"first_name": "Sara", "last_name": "Henderson"})
    steps, reply = drive(agent, "book Mrs. Henderson for Thursday at 9", ctx)
    assert [(s.name, s.status) for s in steps] == [("create_appointment", "error")]
    assert reply == (
        "I didn't book it: Several contacts match “Mrs. Henderson”: Tom Henderson, Sara "
        "Henderson. Which one?"
    )
    assert stores[0].count_records("appointments") == 4


@BOTH_STORES
@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("book Maria for February 30 at 9", "February 30"),
        ("book Maria on 31 April at 10", "31 April"),
        ("book Maria for 13/45 at 9", "13/45"),
        ("do I have any free slots on Feb 30?", "Feb 30"),
    ],
)
def test_rules_question_a_day_that_does_not_exist(ctx, stores, text, said):
    steps, reply = drive(agent, text, ctx)
    assert steps == []
    assert reply == (
        f"“{said}” is not a real date, so I left your calendar as it is. Which day did you mean?"
    )
    assert stores[0].count_records("appointments") == 4


# End to end -------------------------------------------------------------------------------
def test_chat_calendar_this_week(client, users, live):
    evts, reply = chat(client, users, "what's on my calendar this week?")
    assert agent_types(evts) == ["appointments"] and tool_calls(evts) == ["list_appointments"]
    assert "Estimate: Lopez cabinets (Maria Lopez)" in reply
    assert "Henderson final walk-through" in reply and "Consultation" not in reply


def test_chat_books_an_appointment(client, users, live):
    evts, reply = chat(client, users, "book Maria Lopez for next Tuesday at 10am")
    assert agent_types(evts) == ["appointments"] and tool_calls(evts) == ["create_appointment"]
    when = find_date("next Tuesday", today_for({"timezone": "America/New_York"}))
    booked = appointment(live, "Appointment with Maria Lopez")
    assert booked["start_time"] == utc(when, time(10), NEW_YORK)
    assert reply.startswith("Booked “Appointment with Maria Lopez” on ")
    assert reply.endswith("from 10:00 AM to 11:00 AM, linked to your contact Maria Lopez.")
    assert booked["contact_id"] == contact(live, "Maria")["id"]


@BOTH_STORES
def test_chat_books_the_hendersons_with_their_contact(client, users, live):
    live.delete_record("appointments", appointment(live, "Lopez")["id"])  # free whatever today is
    evts, reply = chat(client, users, "book the Hendersons for Tuesday at 9")
    assert agent_types(evts) == ["appointments"] and tool_calls(evts) == ["create_appointment"]
    when = find_date("Tuesday", today_for({"timezone": "America/New_York"}))
    booked = appointment(live, "Hendersons")
    assert booked["start_time"] == utc(when, time(9), NEW_YORK)
    assert (booked["contact_id"], booked["client_name"]) == (
        contact(live, "Tom")["id"],
        "Tom Henderson",
    )
    assert reply.endswith("linked to your contact Tom Henderson.")


@BOTH_STORES
def test_chat_questions_february_30(client, users, live):
    evts, reply = chat(client, users, "book Maria for February 30 at 9")
    assert agent_types(evts) == ["appointments"] and tool_calls(evts) == []
    assert reply == (
        "“February 30” is not a real date, so I left your calendar as it is. "
        "Which day did you mean?"
    )
    assert live.count_records("appointments") == 4


@BOTH_STORES
def test_chat_cancels_the_priya_shah_consultation_once_confirmed(client, users, live):
    consultation = appointment(live, "Priya")
    start = datetime.fromisoformat(consultation["start_time"]).astimezone(NEW_YORK)
    assert_cancel_waits_for_confirmation(
        client,
        users,
        "cancel the Priya Shah consultation",
        "appointments",
        ["list_appointments", "cancel_appointment"],
        f"Cancel the appointment “Consultation: Priya Shah” on {day(start.date())} at 11:00",
        lambda: appointment(live, "Priya"),
    )


def test_chat_cancel_asks_for_confirmation_and_changes_nothing(client, users, live):
    before = appointment(live, "walk-through")
    evts, reply = chat(client, users, "cancel the Henderson walk-through")
    assert tool_calls(evts) == ["list_appointments", "cancel_appointment"]
    assert [e["tool_name"] for e in evts if e["type"] == "confirmation_required"] == [
        "cancel_appointment"
    ]
    assert "Nothing changes until you confirm it in the app." in reply
    assert appointment(live, "walk-through") == before


def test_chat_books_and_cancels_in_the_business_time(app, client, users):
    """The chat and the confirm endpoint both take the zone from the business profile."""
    store = pacific_business(user_store(app, users))
    when = find_date("next Tuesday", today_for({"timezone": "America/Los_Angeles"}))
    _, reply = chat(client, users, "book Maria Lopez for next Tuesday at 10am")
    assert appointment(store, "Maria")["start_time"] == utc(when, time(10), PACIFIC)
    assert "from 10:00 AM to 11:00 AM" in reply
    evts, _ = chat(client, users, "cancel the Maria Lopez appointment")
    pending = next(e for e in evts if e["type"] == "confirmation_required")
    assert pending["summary"].endswith(f"on {day(when)} at 10:00")
    confirmed = client.post(f"/api/actions/{pending['action_id']}/confirm", headers=users.a)
    assert confirmed.json["result"]["summary"].endswith(f"on {day(when)} at 10:00")
    assert appointment(store, "Maria")["status"] == "cancelled"
