"""The business's time zone and how instants are kept and shown."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from canvalo_app.agents.context import today_for
from canvalo_app.agents.zone import business_zone, moment, shown, stored, wall_clock

PACIFIC = ZoneInfo("America/Los_Angeles")


@pytest.mark.parametrize(
    ("profile", "zone"),
    [
        ({"timezone": "America/Los_Angeles"}, "America/Los_Angeles"),
        ({"timezone": "Europe/Berlin"}, "Europe/Berlin"),
        (None, "America/New_York"),  # no profile yet
        ({"timezone": None}, "America/New_York"),
        ({"timezone": "Mars/Base"}, "America/New_York"),
        ({"timezone": "../etc/passwd"}, "America/New_York"),
    ],
)
def test_business_zone(profile, zone):
    assert business_zone(profile).key == zone


def test_today_is_the_business_date():
    for name in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):  # UTC+14 and UTC-11
        assert today_for({"timezone": name}) == datetime.now(ZoneInfo(name)).date()


@pytest.mark.parametrize(
    ("given", "instant"),
    [
        ("2026-12-01T10:00", datetime(2026, 12, 1, 18, tzinfo=UTC)),  # wall clock in the zone
        (datetime(2026, 7, 1, 10), datetime(2026, 7, 1, 17, tzinfo=UTC)),  # summer time
        ("2026-12-01T10:00:00+01:00", datetime(2026, 12, 1, 9, tzinfo=UTC)),  # its own offset
        ("2026-12-01T10:00Z", datetime(2026, 12, 1, 10, tzinfo=UTC)),
    ],
)
def test_moment(given, instant):
    assert moment(given, PACIFIC) == instant and moment(given, PACIFIC).tzinfo == UTC


def test_stored_and_wall_clock():
    assert stored("2026-12-01T10:00", PACIFIC) == "2026-12-01T18:00:00+00:00"
    assert stored(datetime(2026, 12, 1, 10, 0, 30, 500), PACIFIC) == "2026-12-01T18:00:30+00:00"
    start = wall_clock(date(2026, 11, 1), time(8), PACIFIC)  # the clocks went back at 02:00
    assert stored(start, PACIFIC) == "2026-11-01T16:00:00+00:00"


def test_shown_gives_instants_in_the_zone_and_leaves_the_rest():
    result = {
        "appointment": {"start_time": "2026-12-01T18:00:00+00:00", "title": "2026-12-01T18:00Z"},
        "tasks": [{"completed_at": "2026-07-01T17:00:00+00:00", "due_date": "2026-07-01"}],
        "campaign": {"sent_at": None, "scheduled_at": "not a time", "created_at": "2026-12-01"},
        "count": 2,
    }
    assert shown(result, PACIFIC) == {
        "appointment": {"start_time": "2026-12-01T10:00:00-08:00", "title": "2026-12-01T18:00Z"},
        "tasks": [{"completed_at": "2026-07-01T10:00:00-07:00", "due_date": "2026-07-01"}],
        "campaign": {"sent_at": None, "scheduled_at": "not a time", "created_at": "2026-12-01"},
        "count": 2,
    }
