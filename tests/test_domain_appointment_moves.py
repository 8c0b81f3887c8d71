"""Moving an appointment (reschedule_appointment) and the times the appointments tools take,
on both stores: directly, and through the chat with a scripted model. The demo calendar (today
is Monday 23 Nov 2026, New York time): an estimate on Tue 24th 09:00-10:00, the Henderson
walk-through on Wed 25th 14:00-15:00, a paint day on Mon 30th 08:00-16:00 and a consultation
on Wed 2 Dec 11:00-12:00; working hours 08:00-17:00."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from canvalo_app.agents.domains.appointments import agent
from canvalo_app.agents.domains.free_time import work_days
from canvalo_app.agents.tools import ToolContext, execute
from tests.agent_helpers import NEW_YORK, appointment, refused, scripted_call, utc
from tests.conftest import BOTH_STORES

pytestmark = BOTH_STORES


def move(ctx, row: dict, **args):
    return execute(agent, "reschedule_appointment", {"id": row["id"], **args}, ctx)


def times(row: dict) -> tuple[str, str]:
    return row["start_time"], row["end_time"]


def really_free(store, offered: dict, moving: dict, length: timedelta) -> bool:
    """Whether `offered` is as long as asked, in working hours, and overlaps none of the
    store's other appointments (not cancelled), read from the rows themselves."""
    start = datetime.fromisoformat(offered["start_time"])
    end = datetime.fromisoformat(offered["end_time"])
    local_start, local_end = start.astimezone(NEW_YORK), end.astimezone(NEW_YORK)
    in_hours = time(8) <= local_start.time() and local_end.time() <= time(17)
    others = [
        row
        for row in store.list_records("appointments", limit=100)
        if row["id"] != moving["id"] and row["status"] != "cancelled"
    ]
    clashes = [
        row
        for row in others
        if datetime.fromisoformat(row["start_time"]) < end
        and start < datetime.fromisoformat(row["end_time"])
    ]
    same_day = local_start.date() == local_end.date()
    return end - start == length and in_hours and same_day and not clashes


def test_a_move_keeps_the_length(ctx, stores):
    walk = appointment(stores[0], "walk-through")
    outcome = move(ctx, walk, start_time="2026-11-27T10:00")
    assert outcome.status == "ok" and outcome.result["moved"] is True
    assert outcome.summary == (
        "Moved “Henderson final walk-through” on Wednesday, November 25, 2026 at 14:00 to "
        "Friday, November 27, 2026 at 10:00"
    )
    assert times(outcome.result["previous"]) == (
        "2026-11-25T14:00:00-05:00",
        "2026-11-25T15:00:00-05:00",
    )
    assert times(stores[0].get_record("appointments", walk["id"])) == (
        utc(date(2026, 11, 27), time(10), NEW_YORK),
        utc(date(2026, 11, 27), time(11), NEW_YORK),
    )
    paint = appointment(stores[0], "paint day")  # eight hours
    move(ctx, paint, start_time="2026-12-01T08:00")
    assert times(stores[0].get_record("appointments", paint["id"])) == (
        utc(date(2026, 12, 1), time(8), NEW_YORK),
        utc(date(2026, 12, 1), time(16), NEW_YORK),
    )


def test_a_move_may_change_the_length_and_overlap_only_when_allowed(ctx, stores):
    walk = appointment(stores[0], "walk-through")
    move(ctx, walk, start_time="2026-11-26T13:00", duration_minutes=90)
    assert times(stores[0].get_record("appointments", walk["id"])) == (
        utc(date(2026, 11, 26), time(13), NEW_YORK),
        utc(date(2026, 11, 26), time(14, 30), NEW_YORK),
    )
    forced = move(ctx, walk, start_time="2026-11-24T09:30", allow_overlap=True)
    assert forced.result["moved"] is True
    assert stores[0].get_record("appointments", walk["id"])["start_time"] == (
        utc(date(2026, 11, 24), time(9, 30), NEW_YORK)
    )


def test_a_clash_moves_nothing_and_offers_the_nearest_free_times(ctx, stores):
    walk = appointment(stores[0], "walk-through")
    outcome = move(ctx, walk, start_time="2026-11-24T09:30")  # the Lopez estimate, 09:00-10:00
    result = outcome.result
    assert outcome.status == "ok" and result["moved"] is False
    assert stores[0].get_record("appointments", walk["id"]) == walk
    assert outcome.summary == (
        "Not moved: Tuesday, November 24, 2026 at 09:30 overlaps “Estimate: Lopez cabinets” on "
        "Tuesday, November 24, 2026 at 09:00"
    )
    assert [row["title"] for row in result["conflicts"]] == ["Estimate: Lopez cabinets"]
    assert times(result["requested"]) == ("2026-11-24T09:30:00-05:00", "2026-11-24T10:30:00-05:00")
    assert [times(offered) for offered in result["alternatives"]] == [
        ("2026-11-24T10:00:00-05:00", "2026-11-24T11:00:00-05:00"),
        ("2026-11-24T08:00:00-05:00", "2026-11-24T09:00:00-05:00"),
        ("2026-11-25T09:30:00-05:00", "2026-11-25T10:30:00-05:00"),
    ]
    for offered in result["alternatives"]:
        assert really_free(stores[0], offered, walk, timedelta(hours=1)), offered
    taken = move(ctx, walk, start_time=result["alternatives"][0]["start_time"])
    assert taken.result["moved"] is True


def test_the_free_times_offered_include_the_appointments_own(ctx, stores):
    walk = appointment(stores[0], "walk-through")
    execute(agent, "create_appointment", {"title": "Visit", "start_time": "2026-11-25T15:00"}, ctx)
    result = move(ctx, walk, start_time="2026-11-25T15:00").result
    assert result["moved"] is False
    assert [offered["start_time"] for offered in result["alternatives"]] == [
        "2026-11-25T14:00:00-05:00",  # where it is now
        "2026-11-25T16:00:00-05:00",
        "2026-11-26T15:00:00-05:00",
    ]
    for offered in result["alternatives"]:
        assert really_free(stores[0], offered, walk, timedelta(hours=1)), offered


def test_a_long_appointment_is_offered_only_room_enough(ctx, stores):
    paint = appointment(stores[0], "paint day")
    walk = appointment(stores[0], "walk-through")
    result = move(ctx, walk, start_time="2026-11-30T10:00").result  # on the paint day
    assert [offered["start_time"] for offered in result["alternatives"]] == [
        "2026-11-30T16:00:00-05:00",
        "2026-12-01T10:00:00-05:00",
        "2026-12-02T10:00:00-05:00",
    ]
    # Eight hours fit neither Tuesday (the estimate) nor Wednesday (the walk-through).
    result = move(ctx, paint, start_time="2026-11-24T08:00").result
    assert [times(offered) for offered in result["alternatives"]] == [
        ("2026-11-26T08:00:00-05:00", "2026-11-26T16:00:00-05:00"),
        ("2026-11-27T08:00:00-05:00", "2026-11-27T16:00:00-05:00"),
    ]
    for offered in result["alternatives"]:
        assert really_free(stores[0], offered, paint, timedelta(hours=8)), offered


@pytest.mark.parametrize(
    ("start", "said"),
    [
        ("2026-11-23T10:00", "Monday, November 23, 2026 at 10:00"),  # this morning
        ("2026-11-20T14:00", "Friday, November 20, 2026 at 14:00"),
    ],
)
def test_a_move_into_the_past_is_refused(ctx, stores, start, said):
    walk = appointment(stores[0], "walk-through")
    for allow_overlap in (False, True):
        outcome = move(ctx, walk, start_time=start, allow_overlap=allow_overlap)
        assert refused(outcome) and outcome.result["error"] == (
            f"{said} is in the past; which day did you mean? Nothing was moved."
        )
    assert stores[0].get_record("appointments", walk["id"]) == walk


@pytest.fixture
def late_morning(stores) -> ToolContext:
    """The demo business in a zone where the clocks now show 11:xx, on its today."""
    offset = (11 - datetime.now(UTC).hour + 12) % 24 - 12  # hours east of UTC, -12 to 11
    zone = ZoneInfo(f"Etc/GMT{-offset:+d}")  # Etc names count hours west
    return ToolContext(store=stores[0], today=datetime.now(zone).date(), zone=zone)


def test_free_times_offered_today_have_not_begun(late_morning):
    ctx, today = late_morning, late_morning.today
    book = {"title": "Visit", "duration_minutes": 180}
    next_day = work_days(today, 1)[0]
    visit = execute(agent, "create_appointment", {**book, "start_time": f"{next_day}T08:00"}, ctx)
    blocker = {"title": "Blocker", "start_time": f"{today}T13:00", "end_time": f"{today}T17:00"}
    assert execute(agent, "create_appointment", blocker, ctx).status == "ok"
    result = move(ctx, visit.result["appointment"], start_time=f"{today}T13:00").result
    # 08:00-13:00 today has room for three hours, but most of it is gone.
    offered = [datetime.fromisoformat(times["start_time"]) for times in result["alternatives"]]
    expected = [datetime.combine(on, time(13), ctx.zone) for on in work_days(today, 3)]
    assert result["moved"] is False and offered == expected
    before = datetime.now(UTC)
    asked = {"date": today.isoformat(), "duration_minutes": 15}
    slots = execute(agent, "suggest_free_slots", asked, ctx).result
    first = datetime.combine(today, time.fromisoformat(slots["windows"][0]["start"]), ctx.zone)
    assert before <= first < datetime.now(UTC) + timedelta(minutes=15)  # the next quarter hour
    assert first.minute % 15 == 0 and slots["windows"][-1]["end"] == "13:00"


@pytest.mark.parametrize("status", ["cancelled", "completed"])
def test_a_cancelled_or_completed_appointment_is_not_moved(ctx, stores, status):
    walk = appointment(stores[0], "walk-through")
    stores[0].update_record("appointments", walk["id"], {"status": status})
    outcome = move(ctx, walk, start_time="2026-11-27T10:00")
    assert refused(outcome) and outcome.result["error"] == (
        "“Henderson final walk-through” on Wednesday, November 25, 2026 at 14:00 is "
        f"{status}: book a new appointment instead."
    )
    assert stores[0].get_record("appointments", walk["id"])["start_time"] == walk["start_time"]


def test_another_users_appointment_cannot_be_moved(ctx, stores):
    theirs = appointment(stores[1], "walk-through")
    outcome = move(ctx, theirs, start_time="2026-11-27T10:00")
    assert refused(outcome) and outcome.result["fields"] == {"id": ["No appointment with that id."]}
    assert stores[1].get_record("appointments", theirs["id"]) == theirs


# Days that do not exist -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("tool", "args", "field", "why"),
    [
        (
            "reschedule_appointment",
            {"start_time": "2027-02-30T10:00"},
            "start_time",
            "2027-02-30 is not a date: February 2027 has 28 days.",
        ),
        (
            "create_appointment",
            {"title": "Visit", "start_time": "2027-04-31T09:00"},
            "start_time",
            "2027-04-31 is not a date: April 2027 has 30 days.",
        ),
        (
            "create_appointment",
            {"title": "Visit", "start_time": "2026-13-45T09:00"},
            "start_time",
            "2026-13-45 is not a date: there is no month 13.",
        ),
        (
            "check_conflicts",
            {"start_time": "2026-11-24T09:00", "end_time": "2026-11-31T10:00"},
            "end_time",
            "2026-11-31 is not a date: November 2026 has 30 days.",
        ),
        (
            "suggest_free_slots",
            {"date": "2026-02-29"},
            "date",
            "2026-02-29 is not a date: February 2026 has 28 days.",
        ),
        (
            "list_appointments",
            {"from_date": "2026-06-31"},
            "from_date",
            "2026-06-31 is not a date: June 2026 has 30 days.",
        ),
    ],
)
def test_a_day_that_does_not_exist_is_refused_by_name(ctx, stores, tool, args, field, why):
    walk = appointment(stores[0], "walk-through")
    args = {"id": walk["id"], **args} if tool == "reschedule_appointment" else args
    outcome = execute(agent, tool, args, ctx)
    assert refused(outcome) and outcome.result["error"] == "Invalid input"
    assert outcome.result["fields"] == {field: [f"{why} Ask the user which day they meant."]}
    assert stores[0].count_records("appointments") == 4
    assert stores[0].get_record("appointments", walk["id"]) == walk


@pytest.mark.parametrize("value", ["next tuesday", "2026-11-24T25:00", "24/11/2026 09:00"])
def test_other_unreadable_times_keep_the_plain_refusal(ctx, value):
    outcome = execute(agent, "create_appointment", {"title": "Visit", "start_time": value}, ctx)
    assert outcome.result["fields"] == {"start_time": ["Not a valid datetime."]}


# Through the chat with a scripted model ---------------------------------------------------
def test_a_scripted_model_moves_an_appointment(app, client, users, live):
    walk = appointment(live, "walk-through")
    start = datetime.fromisoformat(walk["start_time"]).astimezone(NEW_YORK)
    later = (start + timedelta(days=7)).replace(hour=10, tzinfo=None)
    event, result = scripted_call(
        app, client, users, "appointments", "reschedule_appointment",
        id=walk["id"], start_time=later.isoformat(),
    )  # fmt: skip
    assert event["status"] == "ok" and result["moved"] is True
    assert times(appointment(live, "walk-through")) == (
        utc(later.date(), time(10), NEW_YORK),
        utc(later.date(), time(11), NEW_YORK),
    )


def test_a_scripted_model_is_offered_free_times_on_a_clash(app, client, users, live):
    walk, estimate = appointment(live, "walk-through"), appointment(live, "Lopez")
    event, result = scripted_call(
        app, client, users, "appointments", "reschedule_appointment",
        id=walk["id"], start_time=estimate["start_time"],
    )  # fmt: skip
    assert event["status"] == "ok" and result["moved"] is False
    assert [row["id"] for row in result["conflicts"]] == [estimate["id"]]
    assert result["alternatives"] and appointment(live, "walk-through") == walk
    for offered in result["alternatives"]:
        assert really_free(live, offered, walk, timedelta(hours=1)), offered
