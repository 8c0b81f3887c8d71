"""The offline development model moves appointments: its rules find the appointment, then call
reschedule_appointment on the real store, and its answers read the results; and the same
phrasings through the chat, on both stores. (The demo calendar is described in
test_domain_appointments.py; today is Monday 23 Nov 2026 in the rules' tests.)"""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from canvalo_app.agents.context import today_for
from canvalo_app.agents.domains.appointments import agent
from canvalo_app.devmodel.dates import find_date
from tests.agent_helpers import NEW_YORK, agent_types, appointment, chat, tool_calls, utc
from tests.conftest import BOTH_STORES
from tests.devmodel_helpers import drive, first_calls


def starts(store, word: str) -> tuple[str, str]:
    row = appointment(store, word)
    return row["start_time"], row["end_time"]


def at(on: date, hour: int, minute: int = 0) -> str:
    return utc(on, time(hour, minute), NEW_YORK)


@BOTH_STORES
@pytest.mark.parametrize(
    ("text", "on", "hour", "said"),
    [
        (
            "reschedule the walk-through to Friday at 10",
            date(2026, 11, 27),
            10,
            "Friday, November 27, 2026, 10:00 AM-11:00 AM",
        ),
        (
            "move the Henderson estimate to next Tuesday at 2pm",
            date(2026, 12, 1),
            14,
            "Tuesday, December 1, 2026, 2:00 PM-3:00 PM",
        ),
        (  # the time it had
            "push the Henderson walk-through to Thursday",
            date(2026, 11, 26),
            14,
            "Thursday, November 26, 2026, 2:00 PM-3:00 PM",
        ),
        (
            "move the walk-through from Wednesday to Thursday at 9 to meet the crew",
            date(2026, 11, 26),
            9,
            "Thursday, November 26, 2026, 9:00 AM-10:00 AM",
        ),
        (  # the day it had
            "move the walk-through to 4pm",
            date(2026, 11, 25),
            16,
            "Wednesday, November 25, 2026, 4:00 PM-5:00 PM",
        ),
    ],
)
def test_rules_move_an_appointment(ctx, stores, text, on, hour, said):
    steps, reply = drive(agent, text, ctx)
    assert [(s.name, s.status) for s in steps] == [
        ("list_appointments", "ok"),
        ("reschedule_appointment", "ok"),
    ]
    assert starts(stores[0], "walk-through") == (at(on, hour), at(on, hour + 1))
    assert reply == f"Moved “Henderson final walk-through” to {said}."


@BOTH_STORES
def test_rules_a_clash_moves_nothing_and_offers_free_times(ctx, stores):
    before = starts(stores[0], "walk-through")
    steps, reply = drive(agent, "move the walk-through to tomorrow at 9:30", ctx)
    assert steps[-1].result["moved"] is False
    assert starts(stores[0], "walk-through") == before
    assert reply == (
        "I didn't move “Henderson final walk-through”: Tuesday, November 24, 2026, "
        "9:30 AM-10:30 AM overlaps Estimate: Lopez cabinets (Maria Lopez), Tuesday, November "
        "24, 2026, 9:00 AM-10:00 AM.\n"
        "The nearest free times:\n"
        "- Tuesday, November 24, 2026, 10:00 AM-11:00 AM\n"
        "- Tuesday, November 24, 2026, 8:00 AM-9:00 AM\n"
        "- Wednesday, November 25, 2026, 9:30 AM-10:30 AM\n"
        "Tell me which one and I'll move it there."
    )


@BOTH_STORES
@pytest.mark.parametrize(
    ("text", "reply"),
    [
        (
            "reschedule the walk-through",
            "When should I move it to? Tell me the day and time, e.g. “Friday at 10am”.",
        ),
        (
            "move the Zed appointment to Friday at 10",
            "I couldn't find any upcoming appointment matching “Zed”.",
        ),
        (
            "move the walk-through to February 30 at 10",
            "“February 30” is not a real date, so I left your calendar as it is. "
            "Which day did you mean?",
        ),
        (
            "reschedule the walk-through to 31 April",
            "“31 April” is not a real date, so I left your calendar as it is. "
            "Which day did you mean?",
        ),
        (
            "move the walk-through to yesterday at 10",
            "I couldn't do that: Sunday, November 22, 2026 at 10:00 is in the past; which day "
            "did you mean? Nothing was moved.",
        ),
    ],
)
def test_rules_ask_instead_of_guessing(ctx, stores, text, reply):
    before = starts(stores[0], "walk-through")
    assert drive(agent, text, ctx)[1] == reply
    assert starts(stores[0], "walk-through") == before


@BOTH_STORES
def test_rules_ask_which_when_several_match(ctx, stores):
    stores[0].create_record(
        "appointments",
        {"title": "Henderson touch-up", "start_time": at(date(2026, 11, 26), 9),
         "end_time": at(date(2026, 11, 26), 10)},
    )  # fmt: skip
    before = starts(stores[0], "walk-through")
    steps, reply = drive(agent, "move the Henderson appointment to Friday at 10", ctx)
    assert [s.name for s in steps] == ["list_appointments"]
    assert reply == (
        "I found 2 upcoming appointments matching “Henderson”: Henderson final walk-through "
        "(Tom Henderson), Wednesday, November 25, 2026, 2:00 PM-3:00 PM; Henderson touch-up, "
        "Thursday, November 26, 2026, 9:00 AM-10:00 AM. Which one did you mean?"
    )
    assert starts(stores[0], "walk-through") == before


def test_rules_first_call_finds_by_name_not_by_the_new_day():
    [found] = first_calls(agent, "move my appointment to Friday at 10")
    assert (found.name, found.input) == ("list_appointments", {"upcoming_only": True, "limit": 5})


# End to end -------------------------------------------------------------------------------
@BOTH_STORES
def test_chat_reschedules_the_walk_through(client, users, live):
    evts, reply = chat(client, users, "reschedule the walk-through to Friday at 10")
    assert agent_types(evts) == ["appointments"]
    assert tool_calls(evts) == ["list_appointments", "reschedule_appointment"]
    friday = find_date("Friday", today_for({"timezone": "America/New_York"}))
    assert starts(live, "walk-through") == (at(friday, 10), at(friday, 11))
    assert reply.startswith("Moved “Henderson final walk-through” to ")
    assert reply.endswith(", 10:00 AM-11:00 AM.")


@BOTH_STORES
def test_chat_moves_the_henderson_estimate(client, users, live):
    evts, reply = chat(client, users, "move the Henderson estimate to next Tuesday at 2pm")
    assert agent_types(evts) == ["appointments"]
    assert tool_calls(evts) == ["list_appointments", "reschedule_appointment"]
    tuesday = find_date("next Tuesday", today_for({"timezone": "America/New_York"}))
    assert starts(live, "walk-through") == (at(tuesday, 14), at(tuesday, 15))
    assert reply.endswith(", 2:00 PM-3:00 PM.")


@BOTH_STORES
def test_chat_a_clash_offers_free_times_and_moves_nothing(client, users, live):
    before = starts(live, "walk-through")
    evts, reply = chat(client, users, "move the walk-through to next Monday at 10")  # paint day
    assert tool_calls(evts) == ["list_appointments", "reschedule_appointment"]
    assert starts(live, "walk-through") == before
    assert "overlaps Smith Dental: paint day" in reply
    assert "The nearest free times:\n- " in reply
    monday = find_date("next Monday", today_for({"timezone": "America/New_York"}))
    first = datetime.combine(monday, time(16))
    assert f"\n- {first:%A, %B} {monday.day}, {monday.year}, 4:00 PM-5:00 PM\n" in reply


@BOTH_STORES
def test_chat_an_impossible_day_is_questioned(client, users, live):
    before = starts(live, "walk-through")
    evts, reply = chat(client, users, "move the walk-through to February 30 at 10")
    assert agent_types(evts) == ["appointments"] and tool_calls(evts) == []
    assert reply.startswith("“February 30” is not a real date")
    assert starts(live, "walk-through") == before
