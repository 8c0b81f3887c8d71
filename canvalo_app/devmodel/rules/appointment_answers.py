"""Offline answers of the appointments agent: how an appointment is described, free time,
a booking made and a conflict check."""

from __future__ import annotations

from datetime import date

from ...agents.formatting import clock, day


def when(appointment: dict) -> str:
    start, end = appointment["start_time"], appointment["end_time"]
    return f"{day(start)}, {clock(start)}-{clock(end)}"


def describe(appointment: dict) -> str:
    client = f" ({appointment['client_name']})" if appointment.get("client_name") else ""
    return f"{appointment['title']}{client}, {when(appointment)}"


def free_answer(result: dict, text: str, today: date) -> str:
    minutes, hours = result["duration_minutes"], result["working_hours"]
    if not result["windows"]:
        days = ", ".join(day(d) for d in result["days_checked"])
        opening = f"{clock(hours['start'])} and {clock(hours['end'])}"
        return f"You have no free {minutes}-minute window on {days} between {opening}."
    by_day: dict[str, list[str]] = {}
    for window in result["windows"]:
        span = f"{clock(window['start'])}-{clock(window['end'])}"
        by_day.setdefault(window["date"], []).append(span)
    lines = [f"- {day(d)}: {', '.join(spans)}" for d, spans in by_day.items()]
    return "\n".join([f"Free time (at least {minutes} minutes, in working hours):", *lines])


def booked_answer(result: dict, text: str, today: date) -> str:
    booked = result["appointment"]
    start, end = booked["start_time"], booked["end_time"]
    answer = f"Booked “{booked['title']}” on {day(start)} from {clock(start)} to {clock(end)}"
    if result.get("contact"):
        return f"{answer}, linked to your contact {result['contact']}."
    return f"{answer}. {result['note']}" if result.get("note") else f"{answer}."


def conflict_answer(result: dict, text: str, today: date) -> str:
    asked = when(result)
    if not result["conflicts"]:
        return f"No conflicts: {asked} is free."
    return f"Yes, {asked} overlaps: " + "; ".join(map(describe, result["conflicts"])) + "."
