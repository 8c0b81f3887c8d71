"""Offline rules for moving an appointment: "reschedule the walk-through to Friday at 10",
"move the Henderson estimate to next Tuesday at 2pm", "push the Lopez estimate to 11am".

The appointment is found first (by name or kind, as a cancel finds it), then moved with
reschedule_appointment. The new day and time are the first said after a "to" (or anywhere,
without one); either one left out stays as it was. A clash moves nothing, and the
answer offers the nearest free times the tool found.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime

from ...agents.formatting import clock, day
from ..dates import find_date, find_duration_minutes, find_time
from . import Call, Step, failed, find_then_act, not_one

_TO = re.compile(r"\bto\b", re.IGNORECASE)
ASK_WHEN = "When should I move it to? Tell me the day and time, e.g. “Friday at 10am”."


def target(text: str, today: date) -> str:
    """The words that say where to: from the first "to" followed by a day or a time ("from
    Tuesday to Friday at 10" gives "Friday at 10"), else all of them."""
    for match in _TO.finditer(text):
        rest = text[match.end() :]
        if find_date(rest, today) or find_time(rest):
            return rest
    return text


def new_start(text: str, today: date, appointment: dict) -> str | None:
    """The new start (ISO, local) the words give for `appointment` (as shown in the business's
    time), or None when they name no new day or time."""
    said = target(text, today)
    current = datetime.fromisoformat(appointment["start_time"])
    on, at = find_date(said, today), find_time(said)
    if on is None and at is None:
        return None
    start = datetime.combine(on or current.date(), at or current.time())
    return start.isoformat(timespec="minutes")


def move_calls(text: str, steps: list[Step], today: date, find: Call) -> list[Call]:
    """Find the appointment with `find`, then move the one found."""

    def act(row: dict) -> Call | None:
        start = new_start(text, today, row)
        if start is None:
            return None
        args: dict = {"id": row["id"], "start_time": start}
        if minutes := find_duration_minutes(target(text, today)):
            args["duration_minutes"] = minutes
        return "reschedule_appointment", args

    return find_then_act(steps, find, "appointments", act)


def span_of(times: dict) -> str:
    start, end = times["start_time"], times["end_time"]
    return f"{day(start)}, {clock(start)}-{clock(end)}"


def refused_answer(result: dict, describe: Callable[[dict], str]) -> str:
    """The answer when the move clashed: what it clashed with, and the nearest free times."""
    title = result["appointment"]["title"]
    taken = "; ".join(map(describe, result["conflicts"]))
    lines = [f"I didn't move “{title}”: {span_of(result['requested'])} overlaps {taken}."]
    if result["alternatives"]:
        lines.append("The nearest free times:")
        lines += [f"- {span_of(times)}" for times in result["alternatives"]]
        lines.append("Tell me which one and I'll move it there.")
    else:
        lines.append("I found no free time near it; tell me another day.")
    return "\n".join(lines)


def move_answer(text: str, steps: list[Step], search: str, describe) -> str:
    """The answer after the lookup and, if one appointment was found, the move."""
    if len(steps) == 1:
        found = not_one(steps[0], "appointments", "upcoming appointment", search, describe)
        return found or ASK_WHEN
    last = steps[-1]
    if last.status != "ok":
        return failed(last)
    if not last.result["moved"]:
        return refused_answer(last.result, describe)
    moved = last.result["appointment"]
    return f"Moved “{moved['title']}” to {span_of(moved)}."
