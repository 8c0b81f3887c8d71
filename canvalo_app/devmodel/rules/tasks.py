"""Offline rules for the tasks agent: adding, listing, completing and task statistics.

Understands, for example: "what tasks are overdue?", "show my high priority tasks",
"what's due this week?", "add a task to order primer by Friday with high priority",
"remind me to call the supplier tomorrow", "mark the sprayer task done",
"complete the task Order paint for Smith Dental", "what's my task completion rate?",
"cancel the task to buy primer" (waits for confirmation in the app), "assign the primer
task to Jake", "what tasks are on the Henderson project?", "tasks for Jake",
"what is Luis working on?".
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from ...agents.domains.tasks import PRIORITIES, STATUSES
from ..dates import WEEKDAYS, find_date
from ..parse import names, quoted, status_in, unquoted
from . import Call, Step, failed, find_then_act, not_one, records
from .task_answers import (
    assigned_answer,
    completed_answer,
    created_answer,
    describe,
    stats_answer,
)

PRIORITY_WORDS = {f"{p} priority": p for p in PRIORITIES} | {
    "normal priority": "medium",
    "urgent": "urgent",
    "asap": "urgent",
    "important": "high",
}
STATUS_WORDS = {"completed": "done", "finished": "done", "not started": "todo"}

_STATS = re.compile(r"\b(?:completion\s+rate|stats|statistics|how\s+many|summary)\b", re.I)
_CREATE = re.compile(r"\b(?:add|create|new|make)\b.*\b(?:task|to-?do)\b|\bremind\s+me\s+to\b", re.I)
_COMPLETE = re.compile(
    r"^\s*(?:please\s+)?(?:complete|finish|close|check\s+off|tick\s+off)\b|\bmark\b"
    r"|\bi\s+(?:did|finished|completed)\b",
    re.I,
)
_CANCEL = re.compile(r"\b(?:cancel|call\s+off)\b", re.I)
_OVERDUE = re.compile(r"\b(?:overdue|late|past\s+due|behind)\b", re.I)
_ALL = re.compile(r"\ball\b", re.I)
_DUE = re.compile(r"\bdue\b", re.I)
_THIS_WEEK = re.compile(r"\bthis\s+week\b", re.I)
_TITLE = re.compile(
    r"\b(?:task|to-?do)\s*(?:to|for|called|named|:)?\s+(.+)|\bremind\s+me\s+to\s+(.+)", re.I
)
#: Where a new task's title ends: its due date or its priority follows.
_TITLE_END = re.compile(
    r"[,.!?]|\s+(?:by|due|before|today|tomorrow|tonight|with|priority)\b"
    rf"|\s+(?:on|this|next)\s+(?:{'|'.join(WEEKDAYS)}|week)\b"
    rf"|\s+(?:{'|'.join(PRIORITY_WORDS)})\b",
    re.I,
)
_COMMAND_WORDS = re.compile(
    r"\b(?:please|can|you|i|mark|marked|delete|remove|complete|completed|finish|finished|did|close|check|"
    r"tick|off|as|done|cancel|call\s+off|the|my|a|it|is|that|"
    r"(?:task|to-?do)(?:\s+(?:to|called|named)\b)?)\b|[?!.]",
    re.I,
)
_ASSIGN = re.compile(r"\b(?:re)?assign\b|\b(?:give|hand)\b.*\b(?:task|to-?do)\b.*\bto\b", re.I)
#: "... to Jake" at the end of an assignment, and the words that ask for one.
_ASSIGN_TO = re.compile(r"\s+to\s+(?P<who>[^,.!?]+?)\s*[.!?]*$", re.I)
_ASSIGN_WORDS = re.compile(r"\b(?:re)?assign\b|\bgive\b|\bhand\b", re.I)
#: "the Henderson project", "the Smith Dental job": one project's tasks.
_PROJECT = re.compile(r"\b(?:projects?|jobs?)\b", re.I)
_PROJECT_WORD = re.compile(r"([A-Za-z][\w'’-]*)\s+(?:project|job)\b", re.I)
#: "for Jake", "assigned to Jake", "is Jake working on", "Jake's tasks".
_ASSIGNEE = re.compile(
    r"\b(?:for|assigned\s+to|does|is|has)\s+([A-Z][\w-]*)"
    r"|\b([A-Z][\w-]*)['’]s\s+(?:\w+\s+)?(?:tasks|to-?dos|work)\b"
)
#: The fields "change the due date of the insurance task to Friday" and "make the website
#: photos task high priority" change; "a task" or "a new task" is one to add instead.
EDITS = [
    records.Edit("due_date", re.compile(r"\bdue\b|\bdeadline\b", re.I), records.date_after_to),
    records.Edit(
        "priority",
        re.compile(r"\bpriority\b|\burgent\b", re.I),
        lambda text, today: status_in(text, (), PRIORITY_WORDS),
    ),
]
_NEW = re.compile(r"\b(?:an?|new)\s+(?:task|to-?do)\b|\bremind\s+me\b", re.I)
_BEFORE_TASK = re.compile(r"^(.*?)\s+(?:task|to-?do)\b", re.I)
#: Intents that first find one task, then act on it, and the tool each calls.
ACTIONS = {"complete": "complete_task", "cancel": "cancel_task", "assign": "update_task"}


INTENTS = (
    ("stats", _STATS),
    ("create", _CREATE),
    ("assign", _ASSIGN),
    ("cancel", _CANCEL),
    ("complete", _COMPLETE),
    ("overdue", _OVERDUE),
)


def intent(text: str) -> str:
    return next((kind for kind, pattern in INTENTS if pattern.search(text)), "list")


def new_title(text: str) -> str | None:
    """The title of a new task: "add a task to order primer by Friday" gives "Order primer"."""
    if said := quoted(text):
        return said
    match = _TITLE.search(text)
    title = _TITLE_END.split(match[1] or match[2], maxsplit=1)[0].strip() if match else ""
    return title[:1].upper() + title[1:] or None


def task_hint(text: str) -> str | None:
    """The words naming an existing task: quoted, or what is left without command words
    (and, in an assignment, without who it goes to)."""
    if intent(text) == "assign":
        text = _ASSIGN_WORDS.sub(" ", _ASSIGN_TO.sub("", text))
    return quoted(text) or " ".join(_COMMAND_WORDS.sub(" ", text).split()) or None


def assignee_in(text: str) -> str | None:
    """Who an assignment gives the task to: "assign the primer task to jake" gives "Jake"."""
    match = _ASSIGN_TO.search(text)
    if not match:
        return None
    who = next(iter(names(match["who"])), None) or match["who"].strip()
    return who[:1].upper() + who[1:]


def project_in(text: str) -> str | None:
    """The project whose tasks are asked for: "tasks on the Henderson project" gives
    "Henderson"."""
    if not _PROJECT.search(text):
        return None
    if found := names(unquoted(text)):
        return found[0]
    match = _PROJECT_WORD.search(text)
    return match[1] if match and match[1].lower() not in ("the", "my", "this", "that") else None


def person_in(text: str) -> str | None:
    """Whose tasks are asked for: "tasks for Jake", "what is Luis working on?"."""
    known = set(names(text))
    return next(
        (who for match in _ASSIGNEE.finditer(text) if (who := match[1] or match[2]) in known),
        None,
    )


def due_before(text: str, today: date) -> date | None:
    if _THIS_WEEK.search(text):
        return today + timedelta(days=6 - today.weekday())
    return find_date(text, today) if _DUE.search(text) else None


def create_args(text: str, today: date) -> dict:
    args = {"title": new_title(text)}
    if due := find_date(text, today):
        args["due_date"] = due.isoformat()
    if priority := status_in(text, (), PRIORITY_WORDS):
        args["priority"] = priority
    return args


def list_args(text: str, today: date) -> dict:
    args: dict = {"limit": 20}
    if project := project_in(text):
        args["project"] = project
    elif person := person_in(text):
        args["assignee"] = person
    if _OVERDUE.search(text):
        args["overdue_only"] = True
    if status := status_in(text, STATUSES, STATUS_WORDS):
        args["status"] = status
    if priority := status_in(text, (), PRIORITY_WORDS):
        args["priority"] = priority
    if before := due_before(text, today):
        args["due_before"] = before.isoformat()
    # A project's tasks are shown whatever their state, unless one is asked for.
    if "status" not in args and "project" not in args and not _ALL.search(text):
        args["open_only"] = True
    return args


def act(kind: str, text: str, task: dict) -> Call:
    if kind == "assign":
        return "update_task", {"id": task["id"], "assignee": assignee_in(text)}
    return ACTIONS[kind], {"id": task["id"]}


def named_task(text: str) -> str | None:
    """The words between the last "the" or "my" and "task": "pull up the sprayer task" gives
    "sprayer"."""
    match = _BEFORE_TASK.search(text)
    words = match[1].split() if match else []
    leads = [i for i, word in enumerate(words) if word.lower() in ("the", "my", "this", "that")]
    return " ".join(words[leads[-1] + 1 :]) or None if leads else None


def record_plan(text: str, today: date) -> tuple[str, dict] | None:
    """Deleting one task, showing it in full or changing its due date or priority."""
    if _NEW.search(text):
        return None
    if records.DELETE.search(text):
        return "delete", {}
    return records.record_kind(text, today, EDITS)


def next_calls(text: str, steps: list[Step], today: date) -> list[Call]:
    kind = intent(text)
    if kind in ("list", "create", "overdue") and (plan := record_plan(text, today)):
        hint = named_task(text) or task_hint(text)
        find = ("list_tasks", {"search": hint, "limit": 5})
        return records.record_calls(plan[0], "task", steps, find, plan[1]) if hint else []
    if kind == "assign" and not assignee_in(text):
        return []
    if kind in ACTIONS and task_hint(text):
        find = ("list_tasks", {"search": task_hint(text), "limit": 5})
        return find_then_act(steps, find, "tasks", lambda task: act(kind, text, task))
    if steps or (kind == "create" and not new_title(text)) or kind in ACTIONS:
        return []
    if kind == "stats":
        return [("task_stats", {})]
    if kind == "create":
        return [("create_task", create_args(text, today))]
    return [("list_tasks", list_args(text, today))]


# Answers ---------------------------------------------------------------------------------
def scope(text: str) -> str:
    """Whose or which project's tasks a list is of, as words to follow "tasks"."""
    if project := project_in(text):
        return f" on the {project} project"
    person = person_in(text)
    return f" for {person}" if person else ""


def list_answer(result: dict, text: str) -> str:
    rows, total = result["tasks"], result["total"]
    overdue, whose = bool(_OVERDUE.search(text)), scope(text)
    if not rows:
        if overdue:
            return f"You have no overdue tasks{whose}."
        return f"I found no tasks{whose or ' matching that'}."
    heading = f"You have {total} overdue" if overdue else f"I found {total}"
    shown = f" (showing {len(rows)})" if total > len(rows) else ""
    lines = "\n".join(f"- {describe(task)}" for task in rows)
    return f"{heading} task{'s' * (total != 1)}{whose}{shown}:\n{lines}"


ANSWERS = {
    "list_tasks": list_answer,
    "create_task": created_answer,
    "complete_task": completed_answer,
    "task_stats": stats_answer,
    "update_task": assigned_answer,
}


def answer(text: str, steps: list[Step], today: date) -> str:
    kind = intent(text)
    if steps and kind in ("list", "create", "overdue") and record_plan(text, today):
        hint = named_task(text) or task_hint(text) or ""
        return records.record_answer(steps, "task", hint, describe)
    if not steps:
        if kind == "create":
            return "What should the task say? Tell me what needs doing (and when, if you like)."
        if kind == "complete":
            return "Which task should I mark done? Tell me its name."
        if kind == "cancel":
            return "Which task should I cancel? Tell me its name."
        if kind == "assign":
            return "Which task, and to whom? For example: “assign the primer task to Jake”."
        return "I can list, add, complete and cancel tasks, and tell you your completion rate."
    last = steps[-1]
    if last.status != "ok":
        return failed(last)
    acting = kind in ACTIONS and len(steps) == 1
    if acting and (missing := not_one(last, "tasks", "task", task_hint(text) or "", describe)):
        return missing
    return ANSWERS.get(last.name, lambda result, _: result.get("summary", "Done."))(
        last.result, text
    )
