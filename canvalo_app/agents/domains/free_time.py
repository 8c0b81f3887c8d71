"""Free time on the calendar: working hours, work days, and the gaps between appointments."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..zone import moment


def working_hours(profile: dict | None) -> tuple[time, time]:
    """The business's working hours, 08:00-17:00 unless its profile says otherwise."""
    profile = profile or {}
    start = profile.get("working_hours_start") or "08:00"
    end = profile.get("working_hours_end") or "17:00"
    return time.fromisoformat(start), time.fromisoformat(end)


def work_days(after: date, count: int) -> list[date]:
    """The next `count` weekdays after `after`."""
    days, current = [], after
    while len(days) < count:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days.append(current)
    return days


def free_windows(
    on: date, opens: datetime, closes: datetime, busy: list[dict], minutes: int, zone: ZoneInfo
) -> list[dict]:
    """Gaps of at least `minutes` between `opens` and `closes` on day `on`, around the `busy`
    appointments (sorted by start); times shown on the business's clock."""
    cursor, windows = opens, []
    for appointment in [*busy, {"start_time": closes, "end_time": closes}]:
        gap_end = min(moment(appointment["start_time"], zone), closes)
        if gap_end - cursor >= timedelta(minutes=minutes):
            windows.append(
                {
                    "date": on.isoformat(),
                    "start": f"{cursor.astimezone(zone):%H:%M}",
                    "end": f"{gap_end.astimezone(zone):%H:%M}",
                    "minutes": int((gap_end - cursor).total_seconds() // 60),
                }
            )
        cursor = max(cursor, moment(appointment["end_time"], zone))
    return windows
