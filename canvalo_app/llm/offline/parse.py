"""Deterministic extraction helpers shared by every offline rules module.

Pure functions over the user's words: amounts, percentages, dates, times, durations, names,
document numbers, statuses, quoted text, what a document is for, e-mail addresses and phone
numbers. (Phrasing values back — `money`, `day`, `clock`, `plural` — is
`canvalo_app.agents.formatting`, shared with the tools.)

Date words (``find_date``), with weeks starting on Monday:

* "Tuesday", "this Tuesday", "coming Tuesday": the next Tuesday after today (today excluded).
* "next Tuesday": the Tuesday of next week. On Monday 23 Nov 2026, "Tuesday" is 24 Nov and
  "next Tuesday" is 1 Dec; on Sunday 29 Nov both are 1 Dec.
* "next week": today + 7 days; "in 3 days", "in 2 weeks": counted from today.
* "12/15", "Dec 15", "December 15th", "15 December": that day this year, or next year when it
  has already passed (today counts as not passed). "2026-12-15" and "12/15/2026" are exact.
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
_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"


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


# Numbers ---------------------------------------------------------------------------------
_AMOUNT = re.compile(
    rf"\$\s*(?P<a>{_NUM})(?P<ak>\s*(?:k|thousand)\b)?"
    rf"|\b(?P<b>{_NUM})(?P<bk>\s*(?:k|thousand))?\s*(?:dollars|bucks|usd)\b",
    re.IGNORECASE,
)
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*(?:%|percent\b|pct\b)", re.IGNORECASE)


def amounts(text: str) -> list[float]:
    """Money amounts in order: "$1,250", "$1,250.50", "1250 dollars", "$3.5k"."""
    values = []
    for match in _AMOUNT.finditer(text):
        number = float((match["a"] or match["b"]).replace(",", ""))
        values.append(number * 1000 if match["ak"] or match["bk"] else number)
    return values


def percent(text: str) -> float | None:
    """The first percentage: "7%", "7.5 percent"."""
    match = _PERCENT.search(text)
    return float(match[1]) if match else None


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


def find_date(text: str, today: date) -> date | None:
    """The first date the text mentions, resolved against `today` (see the module notes)."""
    return _earliest(text.lower(), _DATES, today)


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


# Names, numbers and words ----------------------------------------------------------------
_NAME_WORD = re.compile(r"(?:[A-Z][a-z]+(?:[A-Z][a-z]+)*|[A-Z]'[A-Z][a-z]+)(?:-[A-Z][a-z]+)*")
_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’\-]*|[^\sA-Za-z]+")
_STOP_WORDS = frozenset(
    WEEKDAYS
    + MONTHS
    + _MONTH_ABBREVIATIONS
    + _words(
        """today tonight tomorrow yesterday next this last week month what which how when where
        who why whose do does did is are was can could would will should please i my me the a
        an any all hi hello hey thanks thank yes no ok okay also and or for with on at in to let
        there it we our you your"""
        # Domain words: "the Henderson invoice" names Henderson, not an invoice.
        """ invoice invoices project projects proposal proposals appointment appointments
        contact contacts client clients lead leads vendor vendors task tasks review reviews
        campaign campaigns goal goals estimate estimates quote quotes payment payments calendar
        budget walk-through walkthrough job jobs inv pro"""
    )
)
#: Verbs that open a request; only at the start of a sentence are they not names ("Mark").
_COMMANDS = frozenset(
    _words(
        """book show mark list create add delete remove cancel find record schedule set update send
    make draft get give tell look search bill change move reschedule new check pay log write
    email call text plan start void prepare ask help"""
    )
)


def _name_word(token: str, sentence_start: bool) -> str | None:
    """The token as a name word (possessive dropped), or None."""
    bare = re.sub(r"['’]s$", "", token)
    if not _NAME_WORD.fullmatch(bare) or bare.lower() in _STOP_WORDS:
        return None
    return None if sentence_start and bare.lower() in _COMMANDS else bare


def names(text: str) -> list[str]:
    """Capitalised person or company names in order, without repeats: "Maria Lopez",
    "Henderson", "Smith Dental". Weekdays, months, question and domain words never count;
    request verbs ("Book", "Mark") do not count at the start of a sentence."""
    found, run, sentence_start = [], [], True
    for token in _TOKEN.findall(text) + ["."]:
        word = _name_word(token, sentence_start)
        if word:
            run.append(word)
        if run and (not word or word != token):  # a possessive ends the name too
            if " ".join(run) not in found:
                found.append(" ".join(run))
            run = []
        sentence_start = bool(re.fullmatch(r"[.!?]+", token))
    return found


def invoice_number(text: str) -> str | None:
    """ "INV-1002" (any case, "inv 1002" too), returned as INV-1002."""
    match = re.search(r"\binv[-\s#]*(\d{3,6})\b", text, re.IGNORECASE)
    return f"INV-{match[1]}" if match else None


def proposal_number(text: str) -> str | None:
    """ "PRO-201" (any case), returned as PRO-201."""
    match = re.search(r"\bpro[-\s#]*(\d{2,6})\b", text, re.IGNORECASE)
    return f"PRO-{match[1]}" if match else None


def status_in(text: str, choices, synonyms: dict[str, str] | None = None) -> str | None:
    """The status the text names first: a choice ("in progress" finds in_progress) or a
    synonym phrase mapped to a choice ({"unpaid": "sent", "late": "overdue"})."""
    phrases = {choice: choice for choice in choices} | {
        phrase.lower(): choice for phrase, choice in (synonyms or {}).items()
    }
    lowered, best = text.lower(), None
    for phrase, choice in phrases.items():
        words = r"[\s_-]+".join(map(re.escape, re.split(r"[\s_-]+", phrase)))
        match = re.search(rf"(?<![\w-]){words}(?![\w-])", lowered)
        if match and (best is None or (match.start(), -len(phrase)) < best[:2]):
            best = (match.start(), -len(phrase), choice)
    return best[2] if best else None


_QUOTED = re.compile(r"“([^”]+)”|\"([^\"]+)\"|‘([^’]+)’|(?<!\w)'([^']+)'(?!\w)")


def quoted(text: str) -> str | None:
    """The text inside "...", '...' or “...”."""
    match = _QUOTED.search(text)
    return next(group for group in match.groups() if group).strip() if match else None


def work(text: str, client: str = "", default: str = "Painting services") -> str:
    """What a document is for: the quoted text, else the last "for ..." phrase that names no
    amount and not the client ("an invoice for Nina Brooks for $1,250 for trim painting"
    gives "Trim painting"). Anything from "due" on is ignored."""
    if said := quoted(text):
        return said
    text = re.split(r"\bdue\b", text, maxsplit=1, flags=re.IGNORECASE)[0]
    for part in reversed(re.split(r"\bfor\b", text)[1:]):
        part = part.strip(" .,;!?")
        names_client = bool(client) and client.lower() in part.lower()
        if part and not names_client and not re.search(r"[$\d]", part):
            return part[0].upper() + part[1:]
    return default


def unquoted(text: str) -> str:
    """The text with its quoted parts removed (titles in quotes are not names)."""
    return _QUOTED.sub(" ", text)


def email(text: str) -> str | None:
    match = re.search(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text)
    return match[0] if match else None


def phone(text: str) -> str | None:
    """A phone number: "555-0101", "(555) 123-4567", "+1 555 123 4567"."""
    match = re.search(
        r"(?<![\w-])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])?\d{3}[\s.-]\d{4}(?![\w-])", text
    )
    return match[0] if match else None
