"""Free time on the calendar: working hours, work days, the gaps between appointments, and the
free starts nearest to a wanted time."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..zone import moment, wall_clock

Gap = tuple[datetime, datetime]


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


def gaps(opens: datetime, closes: datetime, busy: list[dict], zone: ZoneInfo) -> list[Gap]:
    """The free stretches between `opens` and `closes` around the `busy` appointments (sorted
    by start), as aware datetimes."""
    cursor, found = opens, []
    for appointment in [*busy, {"start_time": closes, "end_time": closes}]:
        gap_end = min(moment(appointment["start_time"], zone), closes)
        if gap_end > cursor:
            found.append((cursor, gap_end))
        cursor = max(cursor, moment(appointment["end_time"], zone))
    return found


def free_windows(
    on: date, opens: datetime, closes: datetime, busy: list[dict], minutes: int, zone: ZoneInfo
) -> list[dict]:
    """Gaps of at least `minutes` between `opens` and `closes` on day `on`, around the `busy`
    appointments (sorted by start); times shown on the business's clock."""
    return [
        {
            "date": on.isoformat(),
            "start": f"{start.astimezone(zone):%H:%M}",
            "end": f"{end.astimezone(zone):%H:%M}",
            "minutes": int((end - start).total_seconds() // 60),
        }
        for start, end in gaps(opens, closes, busy, zone)
        if end - start >= timedelta(minutes=minutes)
    ]


def nearest_starts(
    wanted: datetime, length: timedelta, free: list[Gap], zone: ZoneInfo, count: int = 3
) -> list[datetime]:
    """Up to `count` free starts for something `length` long, nearest to `wanted` first: in
    each gap long enough, the start closest to `wanted`'s time of day on the gap's day."""
    at = wanted.astimezone(zone).time()
    starts = {
        min(max(wall_clock(start.astimezone(zone).date(), at, zone), start), end - length)
        for start, end in free
        if end - start >= length
    }
    return sorted(starts, key=lambda start: (abs(start - wanted), start))[:count]
