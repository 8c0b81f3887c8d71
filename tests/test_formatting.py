"""How tools and the offline model phrase values for people."""

from __future__ import annotations

from datetime import date, time

import pytest

from canvalo_app.agents import formatting


@pytest.mark.parametrize(("value", "text"), [(1250, "$1,250.00"), (-3.5, "-$3.50"), (0, "$0.00")])
def test_money(value, text):
    assert formatting.money(value) == text


def test_plural():
    assert formatting.plural(1, "invoice") == "1 invoice"
    assert formatting.plural(2, "day") == "2 days" and formatting.plural(0, "task") == "0 tasks"


@pytest.mark.parametrize(
    "value",
    [date(2026, 12, 1), "2026-12-01", "2026-12-01T10:00:00+00:00", "2026-12-01T23:30-08:00"],
)
def test_day(value):
    assert formatting.day(value) == "Tuesday, December 1, 2026"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("2026-12-01T14:30:00+00:00", "2:30 PM"),
        ("2026-12-01T10:00:00-08:00", "10:00 AM"),  # the wall clock of the offset written
        ("09:05", "9:05 AM"),
        (time(0, 5), "12:05 AM"),
        (time(12), "12:00 PM"),
    ],
)
def test_clock(value, text):
    assert formatting.clock(value) == text
