"""Offline rules for the settings agent: the business profile and progress on goals.

Understands, for example: "how are my goals doing?", "am I on track for my revenue target?",
"what's my business profile?", "what's my hourly rate?", "set my hourly rate to $70",
"change my tax rate to 7.5%", "set payment terms to net 15", "update my phone to 555-0199",
"set my email to sam@example.com", "set my working hours from 7am to 4pm",
'change my business name to "Brightline Painting"'.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from ...agents.formatting import money, plural
from ..dates import find_time
from ..parse import amounts, email, percent, phone, quoted
from . import Call, Step, failed

_GOALS = re.compile(r"\b(?:goals?|targets?|on\s+track)\b", re.I)
_CHANGE = re.compile(r"\b(?:set|change|update|make|raise|lower|increase|decrease)\b", re.I)
_AFTER_TO = re.compile(r"\b(?:to|is)\s+(.+?)[.!?]*$", re.I)
_NUMBER_AFTER_TO = re.compile(r"\bto\s+\$?(\d+(?:\.\d+)?)\b", re.I)
_DAYS = re.compile(r"\bnet\s*(\d+)\b|\b(\d+)\s*days?\b", re.I)
_HOURS = re.compile(r"(.+?)\s+(?:to|until|-|–)\s+(.+)", re.I)


def words_after_to(text: str) -> str | None:
    match = _AFTER_TO.search(text)
    return quoted(text) or (match[1].strip() if match else None)


def number_after_to(text: str) -> float | None:
    match = _NUMBER_AFTER_TO.search(text)
    return float(match[1]) if match else None


def rate(text: str) -> float | None:
    found = amounts(text)
    return found[0] if found else number_after_to(text)


def tax(text: str) -> float | None:
    found = percent(text)
    return found if found is not None else number_after_to(text)


def days(text: str) -> int | None:
    match = _DAYS.search(text)
    return int(match[1] or match[2]) if match else None


def hour(text: str, which: int) -> str | None:
    """The start (0) or end (1) of "from 7am to 4pm" as HH:MM."""
    match = _HOURS.search(text)
    found = find_time(match[which + 1]) if match else None
    return f"{found:%H:%M}" if found else None


_HOURS_WORDS = r"\b(?:working|work|business)\s+hours\b"


@dataclass(frozen=True)
class Field:
    """A profile column: the words that name it, how to read its value, how to say it."""

    column: str
    label: str
    words: str  # a regular expression
    read: Callable[[str], object]
    show: Callable[[object], str] = str

    def named_in(self, text: str) -> bool:
        return re.search(self.words, text, re.I) is not None


# fmt: off
FIELDS = [
    Field("business_name", "business name", r"\b(?:business|company)\s+name\b", words_after_to),
    Field("owner_name", "owner", r"\bowner(?:'s)?\s+name\b", words_after_to),
    Field("email", "email", r"\be-?mail\b", email),
    Field("phone", "phone", r"\bphone\b", phone),
    Field("address", "address", r"(?<!mail )\baddress\b", words_after_to),
    Field("service_area", "service area", r"\bservice\s+area\b", words_after_to),
    Field("services", "services", r"\bservices\b", words_after_to),
    Field("hourly_rate", "hourly rate", r"\b(?:hourly|labou?r)\s+rate\b|\brate\s+per\s+hour\b",
          rate, money),
    Field("default_tax_rate", "default tax rate", r"\btax\b", tax, lambda value: f"{value:g}%"),
    Field("payment_terms_days", "payment terms", r"\bpayment\s+terms\b|\bnet\s*\d", days,
          lambda value: f"{value} days"),
    Field("working_hours_start", "day start", _HOURS_WORDS, lambda text: hour(text, 0)),
    Field("working_hours_end", "day end", _HOURS_WORDS, lambda text: hour(text, 1)),
    Field("timezone", "time zone", r"\btime\s*zone\b", words_after_to),
]
# fmt: on
SHOW = {field.column: field for field in FIELDS}


def named_fields(text: str) -> list[Field]:
    return [field for field in FIELDS if field.named_in(text)]


def changes(text: str) -> dict:
    """The profile values the user asked to set, read from their words."""
    values = {field.column: field.read(text) for field in named_fields(text)}
    return {column: value for column, value in values.items() if value is not None}


def intent(text: str) -> str:
    if _CHANGE.search(text) and named_fields(text):
        return "update"
    return "goals" if _GOALS.search(text) else "profile"


def next_calls(text: str, steps: list[Step], today: date) -> list[Call]:
    kind = intent(text)
    if steps or (kind == "update" and not changes(text)):
        return []
    if kind == "update":
        return [("update_business_profile", changes(text))]
    if kind == "goals":
        return [("goal_progress", {})]
    return [("get_business_profile", {})]


# Answers ---------------------------------------------------------------------------------
def said(column: str, value) -> str:
    field = SHOW[column]
    return f"{field.label} {field.show(value) if value is not None else 'not set'}"


def profile_answer(result: dict, text: str) -> str:
    profile = result["profile"]
    if profile is None:
        return "You haven't set up a business profile yet. Tell me your business name to start."
    asked = [field.column for field in named_fields(text)] or list(SHOW)[1:]
    details = "; ".join(said(column, profile[column]) for column in asked)
    return f"{profile['business_name'] or 'Your business'}: {details}."


def updated_answer(result: dict, text: str) -> str:
    profile = result["profile"]
    done = ", ".join(
        said(column, profile[column]) for column in SHOW if column in result["changed"]
    )
    return f"Done. Your business profile now has {done}."


def amount(goal: dict, value: float) -> str:
    if goal["unit"] == "USD" or goal["metric"] == "revenue":
        return money(value)
    return f"{value:g}" + (f" {goal['unit']}" if goal["unit"] else "")


def pace(goal: dict) -> str:
    if goal["current_value"] >= goal["target_value"]:
        return "reached"
    if goal["period_elapsed_percent"] is None:
        return "not reached yet"
    verdict = "on track" if goal["on_track"] else "behind pace"
    return f"{verdict} ({goal['period_elapsed_percent']}% of the period has passed)"


def goal_line(goal: dict) -> str:
    left = f", {goal['days_left']} days left" if goal["days_left"] is not None else ""
    return (
        f"- {goal['title']}: {amount(goal, goal['current_value'])} of "
        f"{amount(goal, goal['target_value'])} ({goal['percent']}%), "
        f"{amount(goal, goal['remaining'])} to go{left}; {pace(goal)}."
    )


def goals_answer(result: dict, text: str) -> str:
    if not result["goals"]:
        return "You don't have any active goals. Tell me one to track, with its target."
    count = result["count"]
    return f"You have {plural(count, 'active goal')}, {result['on_track']} on track:\n" + "\n".join(
        goal_line(goal) for goal in result["goals"]
    )


ANSWERS = {
    "get_business_profile": profile_answer,
    "update_business_profile": updated_answer,
    "goal_progress": goals_answer,
}


def answer(text: str, steps: list[Step], today: date) -> str:
    if not steps:
        if intent(text) == "update":
            labels = " and ".join(field.label for field in named_fields(text))
            return f"What should the {labels} be? I couldn't read a value in your message."
        return "I can show or change your business profile and show progress on your goals."
    last = steps[-1]
    if last.status != "ok":
        return failed(last)
    return ANSWERS.get(last.name, lambda result, _: result.get("summary", "Done."))(
        last.result, text
    )
