"""The appointments agent: its tools on the real store, and through the chat with a scripted
model. The offline model's rules for it, and chats it answers end to end, are tested in
test_devmodel_appointments.py. The demo calendar (today is Monday 23 Nov 2026), in the demo
business's New York time: an estimate on Tue 24th 09:00-10:00, the Henderson walk-through on
Wed 25th 14:00-15:00, a paint day on Mon 30th 08:00-16:00 and a consultation on Wed 2 Dec
11:00-12:00. Times are stored in UTC and shown to the model in the business's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from canvalo_app.agents.domains.appointments import agent
from canvalo_app.agents.tools import ToolContext, execute, run_confirmed
from tests.agent_helpers import (
    NEW_YORK,
    PACIFIC,
    TODAY,
    appointment,
    refused,
    scripted_call,
    utc,
)
from tests.conftest import BOTH_STORES, USER_A, USER_B


def titles(result: dict) -> list[str]:
    return [row["title"] for row in result["appointments"]]


def book(ctx, **args):
    return execute(agent, "create_appointment", {"title": "Visit", **args}, ctx)


def as_stored(shown: str) -> str:
    return datetime.fromisoformat(shown).astimezone(UTC).isoformat()


# Tools ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "start", "end"),
    [
        (
            {"start_time": "2026-11-26T10:00"},
            "2026-11-26T10:00:00-05:00",
            "2026-11-26T11:00:00-05:00",
        ),
        (
            {"start_time": "2026-11-26T10:00", "duration_minutes": 90},
            "2026-11-26T10:00:00-05:00",
            "2026-11-26T11:30:00-05:00",
        ),
        # With an offset, it is that instant, whatever the zone.
        (
            {"start_time": "2026-11-26T07:00:00-08:00", "end_time": "2026-11-26T17:00:00Z"},
            "2026-11-26T10:00:00-05:00",
            "2026-11-26T12:00:00-05:00",
        ),
        # Ending exactly when another begins is not a clash.
        (
            {"start_time": "2026-11-24T08:00", "end_time": "2026-11-24T09:00"},
            "2026-11-24T08:00:00-05:00",
            "2026-11-24T09:00:00-05:00",
        ),
    ],
)
def test_create_works_out_the_end(ctx, stores, args, start, end):
    """A time without an offset is the business's (New York); the row keeps UTC."""
    created = book(ctx, **args).result["appointment"]
    assert (created["start_time"], created["end_time"]) == (start, end)
    row = stores[0].get_record("appointments", created["id"])
    assert (row["start_time"], row["end_time"]) == (as_stored(start), as_stored(end))


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (
            {"start_time": "2026-11-26T10:00", "end_time": "2026-11-26T09:00"},
            "The appointment must end after it starts.",
        ),
        (
            {
                "start_time": "2026-11-26T10:00",
                "end_time": "2026-11-26T11:00",
                "duration_minutes": 60,
            },
            "Give an end time or a duration, not both.",
        ),
        (
            {"start_time": "2026-11-24T09:30"},
            "That time overlaps “Estimate: Lopez cabinets” on Tuesday, November 24, 2026 at 09:00. "
            "Nothing was booked: pick another time or, if the user agrees, book it anyway with "
            "allow_overlap.",
        ),
    ],
)
def test_create_refuses_bad_times_and_clashes(ctx, stores, args, error):
    outcome = book(ctx, **args)
    assert refused(outcome) and outcome.result["error"] == error
    assert stores[0].count_records("appointments") == 4


def test_a_booking_in_the_past_is_refused(ctx, stores):
    """Today is Monday 23 Nov: its morning, and last week, are gone; an appointment that
    happened may still be recorded, as completed or missed."""
    for start, said in [
        ("2026-11-23T10:00", "Monday, November 23, 2026 at 10:00"),
        ("2026-11-20T10:00", "Friday, November 20, 2026 at 10:00"),
    ]:
        outcome = book(ctx, start_time=start, allow_overlap=True)
        assert refused(outcome) and outcome.result["error"] == (
            f"{said} is in the past; which day did you mean? Nothing was booked."
        )
    assert stores[0].count_records("appointments") == 4
    walk = appointment(stores[0], "walk-through")
    moved = execute(
        agent, "update_appointment", {"id": walk["id"], "start_time": "2026-11-20T10:00"}, ctx
    )
    assert moved.result["error"] == (
        "Friday, November 20, 2026 at 10:00 is in the past; which day did you mean? "
        "Nothing was changed."
    )
    assert stores[0].get_record("appointments", walk["id"]) == walk
    for status, start in [("completed", "2026-11-20T10:00"), ("no_show", "2026-11-23T08:00")]:
        assert book(ctx, start_time=start, status=status).status == "ok"


def test_overlap_is_booked_only_when_allowed(ctx, stores):
    outcome = book(ctx, start_time="2026-11-24T09:30", allow_overlap=True)
    assert outcome.status == "ok" and "allow_overlap" not in outcome.result["appointment"]
    assert stores[0].count_records("appointments") == 5


def test_cancelled_appointments_do_not_clash(ctx, stores):
    stores[0].update_record(
        "appointments", appointment(stores[0], "Lopez")["id"], {"status": "cancelled"}
    )
    assert book(ctx, start_time="2026-11-24T09:30").status == "ok"


def test_moving_keeps_the_length_and_ignores_itself(ctx, stores):
    walk = appointment(stores[0], "walk-through")
    moved = execute(
        agent, "update_appointment", {"id": walk["id"], "start_time": "2026-11-25T14:30"}, ctx
    )
    assert (moved.result["appointment"]["start_time"], moved.result["appointment"]["end_time"]) == (
        "2026-11-25T14:30:00-05:00",
        "2026-11-25T15:30:00-05:00",
    )
    clash = execute(
        agent, "update_appointment", {"id": walk["id"], "start_time": "2026-11-24T09:00"}, ctx
    )
    assert refused(clash) and "Estimate: Lopez cabinets" in clash.result["error"]
    renamed = execute(
        agent, "update_appointment", {"id": walk["id"], "notes": "Bring samples"}, ctx
    )
    assert renamed.result["appointment"]["start_time"] == "2026-11-25T14:30:00-05:00"
    assert stores[0].get_record("appointments", walk["id"])["start_time"] == (
        "2026-11-25T19:30:00+00:00"
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            {"from_date": "2026-11-23", "to_date": "2026-11-29"},
            ["Estimate: Lopez cabinets", "Henderson final walk-through"],
        ),
        ({"from_date": "2026-11-30", "to_date": "2026-11-30"}, ["Smith Dental: paint day"]),
        ({"status": "confirmed"}, ["Henderson final walk-through"]),
        ({"search": "priya"}, ["Consultation: Priya Shah"]),
        (
            {"upcoming_only": True, "limit": 2},
            ["Estimate: Lopez cabinets", "Henderson final walk-through"],
        ),
    ],
)
def test_list_filters_in_time_order(ctx, args, expected):
    assert titles(execute(agent, "list_appointments", args, ctx).result) == expected


def test_cancelled_ones_are_listed_only_when_asked(ctx, stores):
    lopez = appointment(stores[0], "Lopez")
    stores[0].update_record("appointments", lopez["id"], {"status": "cancelled"})
    week = {"from_date": "2026-11-23", "to_date": "2026-11-29"}
    assert titles(execute(agent, "list_appointments", week, ctx).result) == [
        "Henderson final walk-through"
    ]
    everything = execute(agent, "list_appointments", {**week, "include_cancelled": True}, ctx)
    assert len(everything.result["appointments"]) == 2
    cancelled = execute(agent, "list_appointments", {"status": "cancelled"}, ctx)
    assert titles(cancelled.result) == ["Estimate: Lopez cabinets"]


def test_check_conflicts(ctx):
    busy = execute(
        agent, "check_conflicts", {"start_time": "2026-11-30T15:00", "duration_minutes": 120}, ctx
    )
    assert busy.result["has_conflict"] is True
    assert [c["title"] for c in busy.result["conflicts"]] == ["Smith Dental: paint day"]
    free = execute(agent, "check_conflicts", {"start_time": "2026-11-30T16:00"}, ctx)
    assert (
        free.result["conflicts"] == []
        and free.summary == "Monday, November 30, 2026 16:00-17:00 is free"
    )


def windows(result: dict) -> list[tuple[str, str, str]]:
    return [(w["date"], w["start"], w["end"]) for w in result["windows"]]


def test_free_slots_on_a_day(ctx):
    result = execute(agent, "suggest_free_slots", {"date": "2026-11-24"}, ctx).result
    assert windows(result) == [("2026-11-24", "08:00", "09:00"), ("2026-11-24", "10:00", "17:00")]
    long = execute(agent, "suggest_free_slots", {"date": "2026-11-24", "duration_minutes": 90}, ctx)
    assert windows(long.result) == [("2026-11-24", "10:00", "17:00")]
    busy = execute(
        agent, "suggest_free_slots", {"date": "2026-11-30", "duration_minutes": 120}, ctx
    )
    assert busy.result["windows"] == [] and busy.result["days_checked"] == ["2026-11-30"]


def test_free_slots_skip_weekends_and_follow_working_hours(ctx, stores):
    profile = stores[0].list_records("business_settings")[0]
    stores[0].update_record(
        "business_settings",
        profile["id"],
        {"working_hours_start": "09:00", "working_hours_end": "12:00"},
    )
    friday = ToolContext(store=stores[0], today=datetime(2026, 11, 27).date())
    result = execute(agent, "suggest_free_slots", {"days": 2}, friday).result
    assert result["days_checked"] == ["2026-11-30", "2026-12-01"]
    assert windows(result) == [("2026-12-01", "09:00", "12:00")]  # Monday is a paint day
    assert result["working_hours"] == {"start": "09:00", "end": "12:00"}


def test_cancel_waits_for_confirmation_then_cancels(ctx, stores):
    walk = appointment(stores[0], "walk-through")
    outcome = execute(agent, "cancel_appointment", {"id": walk["id"]}, ctx)
    assert outcome.status == "pending_confirmation"
    assert outcome.action["summary"] == (
        "Cancel the appointment “Henderson final walk-through” on Wednesday, November 25, 2026 "
        "at 14:00"
    )
    assert stores[0].get_record("appointments", walk["id"]) == walk
    run_confirmed(agent, stores[0].get_action(outcome.action["id"]), ctx)
    assert stores[0].get_record("appointments", walk["id"])["status"] == "cancelled"
    again = execute(agent, "cancel_appointment", {"id": walk["id"]}, ctx)
    assert refused(again) and again.result["error"].endswith("is already cancelled.")


def test_delete_waits_for_confirmation(ctx, stores):
    walk = appointment(stores[0], "walk-through")
    outcome = execute(agent, "delete_appointment", {"id": walk["id"]}, ctx)
    assert outcome.status == "pending_confirmation"
    assert stores[0].get_record("appointments", walk["id"]) == walk


@pytest.mark.parametrize(
    ("tool", "args"),
    [
        ("create_appointment", {"start_time": "2026-11-26T10:00"}),
        ("create_appointment", {"title": "Visit"}),
        ("create_appointment", {"title": "Visit", "start_time": "next tuesday"}),
        ("create_appointment", {"title": "x" * 201, "start_time": "2026-11-26T10:00"}),
        (
            "create_appointment",
            {"title": "Visit", "start_time": "2026-11-26T10:00", "appointment_type": "party"},
        ),
        (
            "create_appointment",
            {"title": "Visit", "start_time": "2026-11-26T10:00", "duration_minutes": 0},
        ),
        (
            "create_appointment",
            {"title": "Visit", "start_time": "2026-11-26T10:00", "user_id": USER_B},
        ),
        (
            "create_appointment",
            {"title": "Visit", "start_time": "2026-11-26T10:00", "status": "cancelled"},
        ),
        ("list_appointments", {"status": "done"}),
        ("list_appointments", {"from_date": "soon"}),
        ("check_conflicts", {"duration_minutes": 30}),
        ("suggest_free_slots", {"days": 15}),
        ("suggest_free_slots", {"user_id": USER_A}),
        ("cancel_appointment", {"id": "42"}),
    ],
)
def test_bad_input_is_refused(ctx, stores, tool, args):
    outcome = execute(agent, tool, args, ctx)
    assert refused(outcome) and outcome.result["error"] == "Invalid input"
    assert stores[0].count_records("appointments") == 4


def test_another_users_appointments_are_out_of_reach(ctx, stores):
    theirs = appointment(stores[1], "walk-through")
    listed = execute(agent, "list_appointments", {"limit": 100}, ctx).result["appointments"]
    assert {row["user_id"] for row in listed} == {USER_A}
    for tool, extra in [
        ("get_appointment", {}),
        ("update_appointment", {"title": "Hijacked"}),
        ("delete_appointment", {}),
        ("cancel_appointment", {}),
    ]:
        outcome = execute(agent, tool, {"id": theirs["id"], **extra}, ctx)
        assert refused(outcome) and "was found" in outcome.result["error"], tool
    assert stores[1].get_record("appointments", theirs["id"]) == theirs
    # B's calendar neither blocks A's bookings nor shows in A's conflicts.
    stores[0].update_record(
        "appointments", appointment(stores[0], "walk-through")["id"], {"status": "cancelled"}
    )
    clash = execute(agent, "check_conflicts", {"start_time": "2026-11-25T14:00"}, ctx)
    assert clash.result["conflicts"] == []


# Time zones -------------------------------------------------------------------------------
def test_demo_times_are_new_york_wall_clock_times(stores):
    estimate, tomorrow = appointment(stores[0], "Lopez"), TODAY + timedelta(days=1)
    assert (estimate["start_time"], estimate["end_time"]) == (
        utc(tomorrow, time(9), NEW_YORK),
        utc(tomorrow, time(10), NEW_YORK),
    )
    sprayer = next(t for t in stores[0].list_records("tasks") if t["title"] == "Clean sprayer")
    assert sprayer["completed_at"] == utc(TODAY - timedelta(days=6), time(17), NEW_YORK)


@BOTH_STORES
def test_a_time_without_an_offset_is_the_business_wall_clock(pacific):
    outcome = book(pacific, start_time="2026-12-01T10:00")
    shown = outcome.result["appointment"]
    assert (shown["start_time"], shown["end_time"]) == (
        "2026-12-01T10:00:00-08:00",
        "2026-12-01T11:00:00-08:00",
    )
    assert outcome.summary == "Created appointment “Visit” on Tuesday, December 1, 2026 at 10:00"
    row = pacific.store.get_record("appointments", shown["id"])
    assert (row["start_time"], row["end_time"]) == (
        "2026-12-01T18:00:00+00:00",
        "2026-12-01T19:00:00+00:00",
    )


# The clocks go back at 02:00 on Sunday 7 Nov 2027.
@pytest.mark.parametrize("on", [date(2027, 11, 5), date(2027, 11, 8)])
def test_ten_is_ten_on_either_side_of_the_change_of_clocks(pacific, on):
    shown = book(pacific, start_time=f"{on}T10:00").result["appointment"]
    assert shown["start_time"] == datetime.combine(on, time(10), PACIFIC).isoformat()
    row = pacific.store.get_record("appointments", shown["id"])
    assert row["start_time"] == utc(on, time(10), PACIFIC)


@BOTH_STORES
def test_a_length_is_elapsed_time_across_the_change_of_clocks(pacific):
    shown = book(pacific, start_time="2027-11-07T00:30", duration_minutes=180).result
    assert (shown["appointment"]["start_time"], shown["appointment"]["end_time"]) == (
        "2027-11-07T00:30:00-07:00",
        "2027-11-07T02:30:00-08:00",
    )


@BOTH_STORES
def test_days_and_upcoming_are_the_business_days(pacific):
    book(pacific, title="Late walk-through", start_time="2026-12-01T21:00")  # 2 Dec in UTC
    last_night = {"start_time": utc(date(2026, 11, 22), time(23), PACIFIC)}  # 23 Nov in UTC
    pacific.store.create_record(
        "appointments", {"title": "Last night", **last_night, "end_time": last_night["start_time"]}
    )

    def listed(**args) -> list[str]:
        return titles(execute(agent, "list_appointments", args, pacific).result)

    assert listed(from_date="2026-12-01", to_date="2026-12-01") == ["Late walk-through"]
    assert listed(from_date="2026-12-02", to_date="2026-12-02") == []
    assert listed(from_date="2026-11-22", to_date="2026-11-22") == ["Last night"]
    assert listed(upcoming_only=True) == ["Late walk-through"]


@BOTH_STORES
def test_free_time_and_clashes_in_the_business_hours(pacific):
    book(pacific, start_time="2026-12-01T12:00")
    book(pacific, title="Evening quote", start_time="2026-12-01T18:00")  # 2 Dec in UTC
    result = execute(agent, "suggest_free_slots", {"date": "2026-12-01"}, pacific).result
    assert windows(result) == [("2026-12-01", "08:00", "12:00"), ("2026-12-01", "13:00", "17:00")]
    assert result["working_hours"] == {"start": "08:00", "end": "17:00"}
    next_day = execute(agent, "suggest_free_slots", {"date": "2026-12-02"}, pacific).result
    assert windows(next_day) == [("2026-12-02", "08:00", "17:00")]
    clash = execute(agent, "check_conflicts", {"start_time": "2026-12-01T11:30"}, pacific)
    assert clash.summary == "1 conflict(s) on Tuesday, December 1, 2026 11:30-12:30"
    assert clash.result["conflicts"][0]["start_time"] == "2026-12-01T12:00:00-08:00"
    refused_booking = book(pacific, start_time="2026-12-01T12:30")
    assert refused_booking.result["error"].startswith(
        "That time overlaps “Visit” on Tuesday, December 1, 2026 at 12:00."
    )


def test_a_model_cannot_cancel_by_updating_the_status(app, client, users, live):
    before = appointment(live, "walk-through")
    event, result = scripted_call(
        app,
        client,
        users,
        "appointments",
        "update_appointment",
        id=before["id"],
        status="cancelled",
    )
    assert event["status"] == "error" and result["error"] == "Invalid input"
    assert result["fields"] == {
        "status": [
            "cancelled is set only by cancel_appointment: call that instead. Here it can be "
            "one of: scheduled, confirmed, completed, no_show."
        ]
    }
    assert appointment(live, "walk-through") == before
