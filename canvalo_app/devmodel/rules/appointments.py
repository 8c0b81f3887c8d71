"""Offline rules for the appointments agent: the calendar, booking, free time, cancelling.

Understands, for example: "what's on my calendar this week?", "what do I have tomorrow?",
"do I have any free slots on Friday?", "book Maria Lopez for next Tuesday at 10am",
"schedule an estimate with Priya Shah on Dec 3 at 2pm for 90 minutes", "do I have a conflict
on Tuesday at 9?", "cancel the Henderson walk-through", "reschedule the walk-through to Friday
at 10" (see `appointment_moves`). A booking without a day or a time (as in "invoice the Smith
project and schedule the final walk-through") offers free time and asks when; one on a day
that does not exist ("February 30") asks which day was meant. A client named as "the
Hendersons" or "Mrs. Henderson" is booked by that name, which the tool links to the contact.

Times asked for are wall-clock times without an offset, which the tools take as the business's
local time; results come back in that time, so answers read them as written.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from ...agents.domains.appointments import NOT_BOOKED, OVERLAPS
from ...agents.domains.contacts import SEVERAL
from ...agents.formatting import day, plural
from ..dates import find_date, find_duration_minutes, find_time, impossible_date
from ..parse import names
from . import Call, Step, failed, find_then_act, not_one, records
from .appointment_answers import booked_answer, conflict_answer, describe, free_answer
from .appointment_moves import move_answer, move_calls

_QUESTION = re.compile(r"^\s*(?:what|when|which|who|show|list|do|does|am|any|how|is)\b", re.I)
_INTENTS = [
    ("cancel", re.compile(r"\b(?:cancel|call\s+off)\b", re.I)),
    ("delete", records.DELETE),
    ("move", re.compile(r"\b(?:re-?schedule|move|push|bump|shift)\b", re.I)),
    ("conflict", re.compile(r"\b(?:conflicts?|clash(?:es)?|double[-\s]?book(?:ed)?)\b", re.I)),
    (
        "free",
        re.compile(r"\b(?:free|available|availability|openings?|open\s+slots?|gaps?)\b", re.I),
    ),
    ("book", re.compile(r"\b(?:book|schedule|set\s+up|arrange|add|put)\b", re.I)),
]
#: Words naming a kind of appointment: the type it is stored with and how a title says it.
KINDS = [
    (re.compile(r"\bwalk[-\s]?through\b", re.I), "site_visit", "walk-through"),
    (re.compile(r"\bsite\s+visit\b", re.I), "site_visit", "site visit"),
    (re.compile(r"\bestimate\b", re.I), "estimate", "estimate"),
    (re.compile(r"\bconsult(?:ation)?\b", re.I), "consultation", "consultation"),
    (re.compile(r"\bfollow[-\s]?up\b", re.I), "follow_up", "follow-up"),
    (re.compile(r"\b(?:paint\s+day|job)\b", re.I), "job", "job"),
]
#: The fields "change the location of the Priya Shah consultation to 12 Elm Street" and "add
#: a note to the Henderson walk-through: bring color samples" change.
EDITS = [
    records.Edit("location", re.compile(r"\b(?:location|address)\b", re.I), records.words_after_to),
    records.Edit("notes", re.compile(r"\bnotes?\b", re.I), records.words_after_to),
]


_TITLE = r"(?:Mr|Mrs|Ms|Miss|Dr)\.?\s+"


def intent(text: str) -> str:
    kind = next((kind for kind, pattern in _INTENTS if pattern.search(text)), "list")
    if kind == "book" and (_QUESTION.search(text) or re.search(r"\bmy\s+schedule\b", text, re.I)):
        return "list"
    return kind


def kind_of(text: str) -> tuple[str, str] | None:
    """The appointment type and its name in a title, e.g. ("site_visit", "final walk-through")."""
    for pattern, stored, said in KINDS:
        if pattern.search(text):
            final = "final " if re.search(rf"\bfinal\s+{pattern.pattern}", text, re.I) else ""
            return stored, final + said
    return None


def who(text: str) -> str | None:
    """The person named, without a title or a family's plural: "Mrs. Henderson" and "the
    Hendersons" give "Henderson"."""
    name = next(iter(names(re.sub(rf"\b{_TITLE}", "", text))), None)
    if name and re.search(rf"\bthe\s+{re.escape(name)}\b", text):
        return re.sub(r"(?:(?<=[sxz])|(?<=[cs]h))es$|(?<=[^s])s$", "", name)
    return name


def said_name(text: str) -> str | None:
    """The person as the user named them: "Mrs. Henderson", "the Hendersons", "Maria Lopez"."""
    if not (name := who(text)):
        return None
    match = re.search(rf"\b(?:{_TITLE})?{re.escape(name)}(e?s\b)?", text)
    if match is None:
        return name
    return f"the {match[0]}" if match[1] else match[0]


def subject(text: str) -> str:
    """What is being booked: "appointment with Maria Lopez", "final walk-through with Smith"."""
    said = kind_of(text)[1] if kind_of(text) else "appointment"
    return f"{said} with {said_name(text)}" if who(text) else said


def title(text: str) -> str:
    return subject(text)[0].upper() + subject(text)[1:]


def start_of(text: str, today: date) -> datetime | None:
    when, at = find_date(text, today), find_time(text)
    return datetime.combine(when, at) if when and at else None


def book_args(text: str, start: datetime) -> dict:
    args: dict = {"title": title(text), "start_time": start.isoformat(timespec="minutes")}
    if who(text):
        args["client_name"] = said_name(text)
    if kind := kind_of(text):
        args["appointment_type"] = kind[0]
    if minutes := find_duration_minutes(text):
        args["duration_minutes"] = minutes
    return args


def slots_args(text: str, today: date) -> dict:
    args: dict = {}
    if when := find_date(text, today):
        args["date"] = when.isoformat()
    if minutes := find_duration_minutes(text):
        args["duration_minutes"] = minutes
    return args


def week_range(text: str, today: date) -> tuple[date, date] | None:
    """The days a calendar question covers: this or next week, or one day."""
    monday = today - timedelta(days=today.weekday())
    if re.search(r"\bnext\s+week\b", text, re.I):
        return monday + timedelta(days=7), monday + timedelta(days=13)
    if re.search(r"\b(?:this|the)\s+week\b", text, re.I):
        return today, monday + timedelta(days=6)
    when = find_date(text, today)
    return (when, when) if when else None


def list_args(text: str, today: date) -> dict:
    args: dict = {"limit": 20}
    if span := week_range(text, today):
        args["from_date"], args["to_date"] = (d.isoformat() for d in span)
    else:
        args["upcoming_only"] = True
    if name := who(text):
        args["search"] = name
    return args


def find_call(text: str, today: date) -> Call:
    """The appointment to cancel or move: by name, else by its kind, else (for a cancel) by
    its day."""
    args: dict = {"upcoming_only": True, "limit": 5}
    if search := who(text) or (kind_of(text) or (None, None))[1]:
        args["search"] = search.removeprefix("final ")
    elif intent(text) == "cancel" and (when := find_date(text, today)):
        args["from_date"] = args["to_date"] = when.isoformat()
    return "list_appointments", args


def record_plan(kind: str, text: str, today: date) -> tuple[str, dict] | None:
    """Deleting one appointment, showing it in full or changing its location or notes."""
    if kind == "delete":
        return "delete", {}
    return records.record_kind(text, today, EDITS) if kind in ("list", "book") else None


def book_calls(text: str, steps: list[Step], today: date) -> list[Call]:
    """Book when day and time are known; otherwise, or after a clash, look for free time."""
    start = start_of(text, today)
    if not steps:
        if start:
            return [("create_appointment", book_args(text, start))]
        return [("suggest_free_slots", slots_args(text, today))]
    last = steps[-1]
    clash = last.status == "error" and last.result.get("error", "").startswith(OVERLAPS)
    if last.name == "create_appointment" and clash and start:
        return [("suggest_free_slots", slots_args(text, today))]
    return []


def next_calls(text: str, steps: list[Step], today: date) -> list[Call]:
    kind = intent(text)
    if impossible_date(text, today):
        return []
    if plan := record_plan(kind, text, today):
        find = find_call(text, today)
        return records.record_calls(plan[0], "appointment", steps, find, plan[1])
    if kind == "cancel":
        act = lambda row: ("cancel_appointment", {"id": row["id"]})  # noqa: E731
        return find_then_act(steps, find_call(text, today), "appointments", act)
    if kind == "move":
        return move_calls(text, steps, today, find_call(text, today))
    if kind == "book":
        return book_calls(text, steps, today)
    if steps:
        return []
    if kind == "free":
        return [("suggest_free_slots", slots_args(text, today))]
    if kind == "conflict" and (start := start_of(text, today)):
        minutes = find_duration_minutes(text) or 60
        return [("check_conflicts", {"start_time": start.isoformat(), "duration_minutes": minutes})]
    return [("list_appointments", list_args(text, today))]


# Answers ---------------------------------------------------------------------------------
def list_answer(result: dict, text: str, today: date) -> str:
    rows = result["appointments"]
    span = week_range(text, today)
    period = "coming up" if not span else f"from {day(span[0])} to {day(span[1])}"
    if span and span[0] == span[1]:
        period = f"on {day(span[0])}"
    if not rows:
        return f"You have nothing booked {period}."
    lines = [f"- {describe(row)}" for row in rows]
    return "\n".join([f"You have {plural(result['total'], 'appointment')} {period}:", *lines])


ANSWERS = {
    "list_appointments": list_answer,
    "suggest_free_slots": free_answer,
    "create_appointment": booked_answer,
    "check_conflicts": conflict_answer,
}
HELP = "Tell me the day and time for the appointment, e.g. “next Tuesday at 10am”."
WHICH_DAY = "Which day did you mean?"


def book_answer(text: str, steps: list[Step], today: date) -> str:
    """After free time was looked up: explain the clash, or ask for the missing day or time."""
    first, slots = steps[0], free_answer(steps[-1].result, text, today)
    if first.name == "create_appointment":
        clash = first.result.get("error", "That time is taken.").split(NOT_BOOKED)[0].strip()
        return f"I didn't book it: {clash}\n{slots}"
    missing = "time" if find_date(text, today) else "day and time"
    return f"What {missing} should I book the {subject(text)} for?\n{slots}"


def answer(text: str, steps: list[Step], today: date) -> str:
    kind = intent(text)
    if bad := impossible_date(text, today):
        return f"“{bad}” is not a real date, so I left your calendar as it is. {WHICH_DAY}"
    if not steps:
        return HELP
    if record_plan(kind, text, today):
        search = find_call(text, today)[1].get("search", "")
        return records.record_answer(steps, "appointment", search, describe)
    last = steps[-1]
    if kind == "move":
        search = find_call(text, today)[1].get("search", "")
        return move_answer(text, steps, search, describe)
    if last.name == "create_appointment" and last.result.get("error", "").startswith(SEVERAL):
        return f"I didn't book it: {last.result['error'].split(NOT_BOOKED)[0]}Which one?"
    if kind == "book" and last.name == "suggest_free_slots" and last.status == "ok":
        return book_answer(text, steps, today)
    if last.status != "ok":
        return failed(last)
    if kind == "cancel" and len(steps) == 1:
        search = find_call(text, today)[1].get("search", "")
        found = not_one(last, "appointments", "upcoming appointment", search, describe)
        return found or "Which appointment?"
    write = ANSWERS.get(last.name, lambda result, *_: result.get("summary", "Done."))
    return write(last.result, text, today)
