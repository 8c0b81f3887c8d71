"""Offline rules for the settings agent: the business profile and progress on goals.

Understands, for example: "how are my goals doing?", "am I on track for my revenue target?",
"how is the business doing overall?", "give me a business overview for last quarter",
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
from . import Call, Step, failed, goals
from .revenue import period_args

_GOALS = re.compile(r"\b(?:goals?|targets?|on\s+track)\b", re.I)
_OVERVIEW = re.compile(
    r"\b(?:overview|how(?:'s|\s+is)\s+(?:the\s+|my\s+)?business|business\s+doing)\b", re.I
)
_CHANGE = re.compile(
    r"\b(?:set|change|update|make|raise|lower|increase|decrease|turn|switch|enable|disable)\b",
    re.I,
)
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


def switch(text: str) -> bool | None:
    """On or off: "turn off email notifications", "turn them back on"."""
    if re.search(r"\b(?:off|disable|stop)\b", text, re.I):
        return False
    return True if re.search(r"\b(?:on|enable|resume)\b", text, re.I) else None


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
    Field("email_notifications", "email notifications", r"\bnotifications?\b", switch,
          lambda value: "on" if value else "off"),
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
    if _GOALS.search(text):
        return "goals"
    return "overview" if _OVERVIEW.search(text) else "profile"


def next_calls(text: str, steps: list[Step], today: date) -> list[Call]:
    if goal := goals.intent(text):
        return goals.next_calls(goal, text, steps, today)
    kind = intent(text)
    if steps or (kind == "update" and not changes(text)):
        return []
    if kind == "update":
        return [("update_business_profile", changes(text))]
    if kind == "goals":
        return [("goal_progress", {})]
    if kind == "overview":
        return [("business_overview", period_args(text, today))]
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
    if goal["current_value"] is None:  # a rating goal with no reviews in its period
        target = amount(goal, goal["target_value"])
        return f"- {goal['title']}: no reviews in the period yet (target {target}){left}."
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


def overview_answer(result: dict, text: str) -> str:
    rating = (
        f"an average rating of {result['average_rating']:g} from "
        f"{plural(result['review_count'], 'review')}"
        if result["average_rating"] is not None
        else "no new reviews"
    )
    return (
        f"In {result['period']['label']} you invoiced {money(result['revenue_invoiced'])} and "
        f"collected {money(result['revenue_collected'])}; "
        f"{plural(result['new_clients'], 'new client')}, "
        f"{plural(result['jobs_completed'], 'job')} completed, "
        f"{plural(result['proposals_won'], 'proposal')} won, and {rating}. Today clients owe "
        f"you {money(result['outstanding'])} ({money(result['overdue'])} overdue), and open "
        f"proposals are worth {money(result['open_proposals_value'])}."
    )


ANSWERS = {
    "business_overview": overview_answer,
    "get_business_profile": profile_answer,
    "update_business_profile": updated_answer,
    "goal_progress": goals_answer,
}


def answer(text: str, steps: list[Step], today: date) -> str:
    if goal := goals.intent(text):
        return goals.answer(goal, text, steps)
    if not steps:
        if intent(text) == "update":
            labels = " and ".join(field.label for field in named_fields(text))
            return f"What should the {labels} be? I couldn't read a value in your message."
        return (
            "I can show or change your business profile, show progress on your goals, and "
            "tell you how the business is doing."
        )
    last = steps[-1]
    if last.status != "ok":
        return failed(last)
    return ANSWERS.get(last.name, lambda result, _: result.get("summary", "Done."))(
        last.result, text
    )
