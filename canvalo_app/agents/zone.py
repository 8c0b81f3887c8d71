"""The business's time zone, and instants as the store keeps them and as people read them.

The store keeps instants (appointment times, when a task was completed, when a campaign goes
out) as UTC ISO 8601 text, which sorts and compares in time order in SQLite and is what
PostgREST returns. People and models work in the business's wall-clock time: a time given
without an offset is a time in the business's zone, and tool results show instants in it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..store.tables import TIMESTAMP_COLUMNS

#: The zone of a business that has not set one (the schema's default for
#: business_settings.timezone).
DEFAULT_ZONE = "America/New_York"


def business_zone(profile: dict | None) -> ZoneInfo:
    """The zone named by the business profile; the default one without a usable name."""
    try:
        return ZoneInfo((profile or {}).get("timezone") or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def moment(value: datetime | str, zone: ZoneInfo) -> datetime:
    """A given or stored time as an aware UTC datetime; without an offset it is a wall-clock
    time in `zone`."""
    value = datetime.fromisoformat(value) if isinstance(value, str) else value
    return (value if value.tzinfo else value.replace(tzinfo=zone)).astimezone(UTC)


def wall_clock(on: date, at: time, zone: ZoneInfo) -> datetime:
    """The instant the clocks in `zone` show `at` on day `on`, as an aware UTC datetime."""
    return moment(datetime.combine(on, at), zone)


def stored(value: datetime | str, zone: ZoneInfo) -> str:
    """A time as the store keeps it: UTC ISO 8601 to the second."""
    return moment(value, zone).isoformat(timespec="seconds")


def shown(value: Any, zone: ZoneInfo) -> Any:
    """`value` (a tool result) with every stored instant in it given in `zone`'s time and
    offset: "2026-12-01T18:00:00+00:00" in Los Angeles is "2026-12-01T10:00:00-08:00"."""
    if isinstance(value, dict):
        return {
            key: _local(item, zone)
            if key in TIMESTAMP_COLUMNS and isinstance(item, str)
            else shown(item, zone)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [shown(item, zone) for item in value]
    return value


def _local(text: str, zone: ZoneInfo) -> str:
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        return text
    return instant.astimezone(zone).isoformat() if instant.tzinfo else text
