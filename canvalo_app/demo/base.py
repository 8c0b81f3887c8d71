"""What the demo business's records are made of: its profile, dates relative to today, and
links from one demo row to another."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

from ..agents.zone import business_zone, stored, wall_clock

PROFILE = {
    "business_name": "Brightline Painting Co.",
    "owner_name": "Sam Rivera",
    "email": "sam@brightlinepainting.example",
    "phone": "555-0142",
    "address": "18 Mill Street, Springfield",
    "service_area": "Springfield and 25 miles",
    "services": "Interior, exterior, cabinet refinishing, deck staining",
    "hourly_rate": 65.0,
    "default_tax_rate": 7.0,
    "payment_terms_days": 30,
    "timezone": "America/New_York",
}


def line_items(*items: tuple[str, float, float]) -> list[dict]:
    return [{"description": d, "quantity": q, "unit_price": p} for d, q, p in items]


def at(day: date, hour: int, minutes: int = 0) -> str:
    """`hour`:`minutes` on `day` in the business's zone, as the store keeps times."""
    zone = business_zone(PROFILE)
    return stored(wall_clock(day, time(hour, minutes), zone), zone)


@dataclass(frozen=True)
class Calendar:
    """Dates relative to the demo's today: `d(n)` is n days away (ISO), `at(day, hour)` a
    wall-clock time of the business's zone, as the store keeps it."""

    today: date

    def d(self, days: int) -> str:
        return (self.today + timedelta(days=days)).isoformat()

    def at(self, day: date, hour: int, minutes: int = 0) -> str:
        return at(day, hour, minutes)

    def day(self, days: int) -> date:
        return self.today + timedelta(days=days)

    def monday(self, days: int) -> date:
        """`days` after next Monday."""
        return self.day(7 - self.today.weekday() + days)


@dataclass(frozen=True)
class Link:
    """The id of the demo row of `table` whose `column` is `value`, once that row is written."""

    table: str
    column: str
    value: str

    def resolve(self, written: dict[str, list[dict]]) -> str:
        return next(row["id"] for row in written[self.table] if row[self.column] == self.value)


def project(name: str) -> Link:
    return Link("projects", "name", name)
