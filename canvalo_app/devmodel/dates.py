"""Dates, times and durations in the user's words, relative to the business's today.

Date words (``find_date``), with weeks starting on Monday:

* "Tuesday", "this Tuesday", "coming Tuesday": the next Tuesday after today (today excluded).
* "next Tuesday": the Tuesday of next week. On Monday 23 Nov 2026, "Tuesday" is 24 Nov and
  "next Tuesday" is 1 Dec; on Sunday 29 Nov both are 1 Dec.
* "next week": today + 7 days; "in 3 days", "in 2 weeks": counted from today.
* "12/15", "Dec 15", "December 15th", "15 December": that day this year, or next year when it
  has already passed (today counts as not passed). "2026-12-15" and "12/15/2026" are exact.

A day that does not exist ("February 30", "31 April", "13/45") is no date to `find_date`;
`impossible_date` finds the words that name one, so a request can be questioned, not read as
if the day had not been said.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, time, timedelta


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


WEEKDAYS = _words("monday tuesday wednesday thursday friday saturday sunday")
MONTHS = _words(
    "january february march april may june july august september october november december"
)
_MONTH_ABBREVIATIONS = _words("jan feb mar apr jun jul aug sep sept oct nov dec")
_NUMBER_WORDS = {"a": 1, "an": 1} | {
    word: number
    for number, word in enumerate(_words("one two three four five six seven eight nine ten"), 1)
}
_COUNT = r"(\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten)"
_MONTH = rf"({'|'.join(sorted(MONTHS + _MONTH_ABBREVIATIONS, key=len, reverse=True))})\b\.?"


def _count(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBER_WORDS[word]


def _earliest(text: str, patterns: list[tuple[re.Pattern, Callable]], *args):
    """The value of the earliest pattern match in `text` (ties: the first pattern listed)."""
    hits = [
        (match.start(), index, match)
        for index, (pattern, _) in enumerate(patterns)
        for match in [pattern.search(text)]
        if match
    ]
    for _, index, match in sorted(hits, key=lambda hit: hit[:2]):
        value = patterns[index][1](match, *args)
        if value is not None:
            return value
    return None


# Dates -----------------------------------------------------------------------------------
def _month_number(word: str) -> int:
    return next(i for i, name in enumerate(MONTHS, 1) if name.startswith(word.lower()[:3]))


def _upcoming(month: int, day_of_month: int, today: date) -> date | None:
    """Month/day this year, or next year if it has passed."""
    try:
        candidate = date(today.year, month, day_of_month)
        return candidate if candidate >= today else date(today.year + 1, month, day_of_month)
    except ValueError:
        return None


def _exact(year: str | None, month: int, day_of_month: int, today: date) -> date | None:
    if not year:
        return _upcoming(month, day_of_month, today)
    try:
        return date(int(year) + (2000 if len(year) == 2 else 0), month, day_of_month)
    except ValueError:
        return None


def _weekday(match: re.Match, today: date) -> date:
    target = WEEKDAYS.index(match[2])
    if match[1] == "next":
        next_monday = today + timedelta(days=7 - today.weekday())
        return next_monday + timedelta(days=target)
    return today + timedelta(days=(target - today.weekday() - 1) % 7 + 1)


_RELATIVE = {"today": 0, "tonight": 0, "tomorrow": 1, "yesterday": -1}
_DATES: list[tuple[re.Pattern, Callable[[re.Match, date], date | None]]] = [
    (
        re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b"),
        lambda m, t: _exact(m[1], int(m[2]), int(m[3]), t),
    ),
    (
        re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?(?![\d/])"),
        lambda m, t: _exact(m[3], int(m[1]), int(m[2]), t) if 1 <= int(m[1]) <= 12 else None,
    ),
    (
        re.compile(rf"\b{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?"),
        lambda m, t: _exact(m[3], _month_number(m[1]), int(m[2]), t),
    ),
    (
        re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?:,?\s+(\d{{4}}))?"),
        lambda m, t: _exact(m[3], _month_number(m[2]), int(m[1]), t),
    ),
    (
        re.compile(r"\b(today|tonight|tomorrow|yesterday)\b"),
        lambda m, t: t + timedelta(days=_RELATIVE[m[1]]),
    ),
    (
        re.compile(rf"\bin\s+{_COUNT}\s+(day|week)s?\b"),
        lambda m, t: t + timedelta(days=_count(m[1]) * (7 if m[2] == "week" else 1)),
    ),
    (re.compile(r"\bnext\s+week\b"), lambda m, t: t + timedelta(days=7)),
    (re.compile(rf"\b(?:(next|this|coming)\s+)?({'|'.join(WEEKDAYS)})\b"), _weekday),
]


#: The patterns that name a day of a month, which may not exist.
_CALENDAR_DATES = _DATES[:4]


def find_date(text: str, today: date) -> date | None:
    """The first date the text mentions, resolved against `today` (see the module notes)."""
    return _earliest(text.lower(), _DATES, today)


def impossible_date(text: str, today: date) -> str | None:
    """The words naming the first day that does not exist ("February 30", "31 April",
    "13/45", "2026-02-29"), as the text has them, or None."""
    lowered = text.lower()
    for pattern, read in _CALENDAR_DATES:
        for match in pattern.finditer(lowered):
            if read(match, today) is None:
                return text[match.start() : match.end()].strip()
    return None


# Times and durations ---------------------------------------------------------------------
def _clock(hour: int, minute: int, meridiem: str | None) -> time | None:
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem.startswith("p") else 0)
    elif 1 <= hour <= 6:
        hour += 12  # "at 3" is a working-day 3 pm, not 3 am
    return time(hour, minute) if hour <= 23 and minute <= 59 else None


_TIMES: list[tuple[re.Pattern, Callable[[re.Match], time | None]]] = [
    (
        re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*([ap])\.?m\b\.?"),
        lambda m: _clock(int(m[1]), int(m[2] or 0), m[3]),
    ),
    (
        re.compile(r"(?<![\d:])(\d{1,2}):(\d{2})(?![\d:])"),
        lambda m: _clock(int(m[1]), int(m[2]), None),
    ),
    (re.compile(r"\b(noon|midday)\b"), lambda m: time(12, 0)),
    (re.compile(r"\bmidnight\b"), lambda m: time(0, 0)),
    (
        re.compile(r"\bat\s+(\d{1,2})(?!\s*(?:[:/\d]|[ap]\.?m\b))(?:\s*o'?clock)?\b"),
        lambda m: _clock(int(m[1]), 0, None),
    ),
]
_HOURS = re.compile(
    rf"\b(half an|{_COUNT[1:-1]}|\d+\.\d+)\s*(?:hours?|hrs?|h)\b(\s+and\s+a\s+half)?"
    r"(?:\s*(?:and\s*)?(\d+)\s*(?:minutes?|mins?)\b)?"
)
_MINUTES = re.compile(r"\b(\d+)\s*(?:minutes?|mins?)\b")


def find_time(text: str) -> time | None:
    """A time of day: "at 9" (hours 1-6 without am/pm mean pm), "10am", "9:30 pm", "14:00",
    "noon"."""
    return _earliest(text.lower(), _TIMES)


def find_duration_minutes(text: str) -> int | None:
    """A length of time in minutes: "for 2 hours", "90 minutes", "an hour", "1.5 hours"."""
    lowered = text.lower()
    if match := _HOURS.search(lowered):
        word = match[1]
        hours = 0.5 if word == "half an" else float(word) if "." in word else _count(word)
        return round(hours * 60) + (30 if match[2] else 0) + int(match[3] or 0)
    if match := _MINUTES.search(lowered):
        return int(match[1])
    return None
