"""Offline rules for the tasks agent: adding, listing, completing and task statistics.

Understands, for example: "what tasks are overdue?", "show my high priority tasks",
"what's due this week?", "add a task to order primer by Friday with high priority",
"remind me to call the supplier tomorrow", "mark the sprayer task done",
"complete the task Order paint for Smith Dental", "what's my task completion rate?",
"cancel the task to buy primer" (waits for confirmation in the app).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from ...agents.domains.tasks import PRIORITIES, STATUSES
from ...agents.formatting import day, plural
from ..dates import WEEKDAYS, find_date
from ..parse import quoted, status_in
from . import Call, Step, failed, find_then_act, not_one

PRIORITY_WORDS = {f"{p} priority": p for p in PRIORITIES} | {
    "normal priority": "medium",
    "urgent": "urgent",
    "asap": "urgent",
    "important": "high",
}
STATUS_WORDS = {"completed": "done", "finished": "done", "not started": "todo"}
STATUS_LABELS = {"todo": "to do", "in_progress": "in progress"}

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
    r"\b(?:please|can|you|i|mark|marked|complete|completed|finish|finished|did|close|check|"
    r"tick|off|as|done|cancel|call\s+off|the|my|a|it|is|that|"
    r"(?:task|to-?do)(?:\s+(?:to|called|named)\b)?)\b|[?!.]",
    re.I,
)
#: Intents that first find one task, then act on it, and the tool each calls.
ACTIONS = {"complete": "complete_task", "cancel": "cancel_task"}


INTENTS = (
    ("stats", _STATS),
    ("create", _CREATE),
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
    """The words naming an existing task: quoted, or what is left without command words."""
    return quoted(text) or " ".join(_COMMAND_WORDS.sub(" ", text).split()) or None


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
    if _OVERDUE.search(text):
        args["overdue_only"] = True
    if status := status_in(text, STATUSES, STATUS_WORDS):
        args["status"] = status
    if priority := status_in(text, (), PRIORITY_WORDS):
        args["priority"] = priority
    if before := due_before(text, today):
        args["due_before"] = before.isoformat()
    if "status" not in args and not _ALL.search(text):
        args["open_only"] = True
    return args


def next_calls(text: str, steps: list[Step], today: date) -> list[Call]:
    kind = intent(text)
    if kind in ACTIONS and task_hint(text):
        find = ("list_tasks", {"search": task_hint(text), "limit": 5})
        return find_then_act(steps, find, "tasks", lambda t: (ACTIONS[kind], {"id": t["id"]}))
    if steps or (kind == "create" and not new_title(text)) or kind in ACTIONS:
        return []
    if kind == "stats":
        return [("task_stats", {})]
    if kind == "create":
        return [("create_task", create_args(text, today))]
    return [("list_tasks", list_args(text, today))]


# Answers ---------------------------------------------------------------------------------
def describe(task: dict) -> str:
    due = f", due {day(task['due_date'])}" if task["due_date"] else ""
    status = STATUS_LABELS.get(task["status"], task["status"])
    return f"“{task['title']}” ({task['priority']} priority, {status}{due})"


def list_answer(result: dict, text: str) -> str:
    rows, total = result["tasks"], result["total"]
    overdue = bool(_OVERDUE.search(text))
    if not rows:
        return "You have no overdue tasks." if overdue else "I found no tasks matching that."
    heading = f"You have {total} overdue" if overdue else f"I found {total}"
    shown = f" (showing {len(rows)})" if total > len(rows) else ""
    lines = "\n".join(f"- {describe(task)}" for task in rows)
    return f"{heading} task{'s' * (total != 1)}{shown}:\n{lines}"


def created_answer(result: dict, text: str) -> str:
    return f"Added the task {describe(result['task'])}."


def completed_answer(result: dict, text: str) -> str:
    task = result["task"]
    if result["already_done"]:
        return f"“{task['title']}” was already done (completed {day(task['completed_at'])})."
    return f"Marked “{task['title']}” done."


def stats_answer(result: dict, text: str) -> str:
    if not result["total"]:
        return "You don't have any tasks yet."
    status, priority = result["by_status"], result["by_priority"]
    counted = result["total"] - status["cancelled"]
    rate = (
        f"Your task completion rate is {result['completion_rate']}%: {status['done']} of "
        f"{plural(counted, 'task')} done (cancelled tasks don't count)."
        if counted
        else "All your tasks are cancelled, so there is no completion rate."
    )
    overdue = result["overdue"]
    return (
        f"{rate} {plural(overdue, 'task')} {'is' if overdue == 1 else 'are'} overdue. "
        f"By status: {status['todo']} to do, {status['in_progress']} in progress, "
        f"{status['done']} done, {status['cancelled']} cancelled. By priority: "
        + ", ".join(f"{priority[p]} {p}" for p in reversed(PRIORITIES))
        + "."
    )


ANSWERS = {
    "list_tasks": list_answer,
    "create_task": created_answer,
    "complete_task": completed_answer,
    "task_stats": stats_answer,
}


def answer(text: str, steps: list[Step], today: date) -> str:
    kind = intent(text)
    if not steps:
        if kind == "create":
            return "What should the task say? Tell me what needs doing (and when, if you like)."
        if kind == "complete":
            return "Which task should I mark done? Tell me its name."
        if kind == "cancel":
            return "Which task should I cancel? Tell me its name."
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
