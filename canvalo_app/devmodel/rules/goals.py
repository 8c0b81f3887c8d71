"""Offline rules for the settings agent's goals as records: listing them, one in full, a new
one, a new target, deleting one. (How they are going is goal_progress, in `settings.py`.)

Understands, for example: "list my goals", "what goals have I set?", "show me the details of
my quarterly revenue goal", "set a goal of $20,000 revenue this quarter", "add a goal to win
5 new clients this month", "change my quarterly revenue goal to $18,000", "raise the new
clients goal to 15", "delete the rating goal" (waits for confirmation in the app).

Goals have no search, so a goal named by its words is found among all of them: the one
whose title or metric holds every word said before "goal".
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from ...agents.formatting import plural
from ..parse import amounts
from . import Call, Step, failed, records

_GOAL = re.compile(r"\b(?:goals?|targets?)\b", re.I)
_LIST = re.compile(r"^\W*(?:list|show)\b.*\bgoals\b|\bwhat\s+goals\b|\bgoals\s+have\s+i\b", re.I)
_CREATE = re.compile(
    r"\b(?:set|add|create|make|new)\s+(?:a\s+|an\s+)?(?:new\s+)?(?:goal|target)\b", re.I
)
_BEFORE_GOAL = re.compile(r"^(.*?)\s+(?:goal|target)s?\b", re.I)
_TITLE = re.compile(r"\b(?:goal|target)\s+(?:to|of|for)\s+(.+?)[.!?]*$", re.I)
_NUMBER = re.compile(r"\b(\d+(?:\.\d+)?)\b")
#: Words naming what a goal measures, and the metric each is.
METRIC_WORDS = [
    (re.compile(r"\b(?:revenue|sales|collect\w*)\b", re.I), "revenue"),
    (re.compile(r"\bnew\s+(?:clients?|customers?)\b", re.I), "new_clients"),
    (re.compile(r"\bjobs?\b", re.I), "jobs_completed"),
    (re.compile(r"\b(?:rating|stars?)\b", re.I), "average_rating"),
    (re.compile(r"\b(?:proposals?|bids?)\b", re.I), "proposals_won"),
]
_LEADS = ("the", "my", "a", "an", "our", "this", "that")


def intent(text: str) -> str | None:
    """delete, create, details, edit or list, for words about goals as records; None for
    anything else (how goals are going included)."""
    if not _GOAL.search(text):
        return None
    if records.DELETE.search(text):
        return "delete"
    if _CREATE.search(text):
        return "create"
    if records.DETAILS.search(text):
        return "details"
    if records.CHANGE.search(text) and new_target(text) is not None:
        return "edit"
    return "list" if _LIST.search(text) else None


def new_target(text: str) -> float | None:
    """The new target in "change my quarterly revenue goal to $18,000"."""
    said = records.value_after_to(text) or ""
    found = amounts(said) or [float(n) for n in _NUMBER.findall(said)]
    return found[0] if found else None


def hint(text: str) -> list[str]:
    """The words naming the goal: "change my quarterly revenue goal" gives quarterly, revenue."""
    match = _BEFORE_GOAL.search(text)
    words = match[1].split() if match else []
    leads = [i for i, word in enumerate(words) if word.lower() in _LEADS]
    return [word.lower() for word in words[leads[-1] + 1 :]] if leads else []


def matching(rows: list[dict], text: str) -> list[dict]:
    said = hint(text)
    named = lambda goal: f"{goal['title']} {goal['metric'].replace('_', ' ')}".lower()  # noqa: E731
    return [goal for goal in rows if said and all(word in named(goal) for word in said)]


def period(text: str, today: date) -> dict:
    """This month's, quarter's or year's first and last days, for the period named."""
    if re.search(r"\bthis\s+month\b", text, re.I):
        start, months = today.replace(day=1), 1
    elif re.search(r"\bthis\s+quarter\b", text, re.I):
        start, months = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1), 3
    elif re.search(r"\bthis\s+year\b", text, re.I):
        start, months = today.replace(month=1, day=1), 12
    else:
        return {}
    month = start.month - 1 + months
    end = date(start.year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return {"period_start": start.isoformat(), "period_end": end.isoformat()}


def create_args(text: str, today: date) -> dict | None:
    found = amounts(text) or [float(n) for n in _NUMBER.findall(text)]
    if not found:
        return None
    metric = next((name for pattern, name in METRIC_WORDS if pattern.search(text)), "custom")
    title = _TITLE.search(text)
    said = title[1] if title else metric.replace("_", " ")
    args = {"title": said[:1].upper() + said[1:], "metric": metric, "target_value": found[0]}
    return args | ({"unit": "USD"} if metric == "revenue" else {}) | period(text, today)


def next_calls(kind: str, text: str, steps: list[Step], today: date) -> list[Call]:
    if kind in ("list", "create"):
        args = {"limit": 20} if kind == "list" else create_args(text, today)
        return [] if steps or not args else [(f"{kind}_goal" + "s" * (kind == "list"), args)]
    if not steps:
        return [("list_goals", {"limit": 100})]
    found = matching(steps[0].result.get("goals") or [], text)
    if len(steps) > 1 or len(found) != 1:
        return []
    tool = {"details": "get_goal", "edit": "update_goal", "delete": "delete_goal"}[kind]
    values = {"target_value": new_target(text)} if kind == "edit" else {}
    return [(tool, {"id": found[0]["id"], **values})]


# Answers ---------------------------------------------------------------------------------
def describe(goal: dict) -> str:
    return f"“{goal['title']}” (target {goal['target_value']:g}, {goal['status']})"


def answer(kind: str, text: str, steps: list[Step]) -> str:
    if not steps:
        return "What's the goal, and its target? For example “set a goal of $20,000 revenue."
    last = steps[-1]
    if last.status != "ok":
        return failed(last)
    if kind == "list":
        rows = last.result["goals"]
        lines = [f"- {describe(goal)}" for goal in rows]
        return "\n".join([f"You have {plural(last.result['total'], 'goal')}:", *lines])
    if kind != "create" and len(steps) == 1:
        found = matching(last.result.get("goals") or [], text)
        listed = "; ".join(map(describe, found or last.result.get("goals") or []))
        return f"Which goal did you mean? {listed}." if listed else "You have no goals yet."
    if last.name == "get_goal":
        return records.details_answer(last.result["goal"], last.result["summary"])
    return f"Done: {last.result['summary']}."
