"""Offline answers of the tasks agent: how a task is described, an assignment, a new task,
a completed one and the task statistics."""

from __future__ import annotations

from ...agents.domains.tasks import PRIORITIES
from ...agents.formatting import day, plural

STATUS_LABELS = {"todo": "to do", "in_progress": "in progress"}


def describe(task: dict) -> str:
    due = f", due {day(task['due_date'])}" if task["due_date"] else ""
    status = STATUS_LABELS.get(task["status"], task["status"])
    who = f", assigned to {task['assignee']}" if task.get("assignee") else ""
    return f"“{task['title']}” ({task['priority']} priority, {status}{due}{who})"


def assigned_answer(result: dict, text: str) -> str:
    task = result["task"]
    if task["assignee"]:
        return f"Assigned “{task['title']}” to {task['assignee']}."
    return f"“{task['title']}” is now assigned to nobody."


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
    overdue, people = result["overdue"], result["by_assignee"]
    open_by = "; ".join(f"{who} {count}" for who, count in people.items())
    return (
        f"{rate} {plural(overdue, 'task')} {'is' if overdue == 1 else 'are'} overdue. "
        f"By status: {status['todo']} to do, {status['in_progress']} in progress, "
        f"{status['done']} done, {status['cancelled']} cancelled. By priority: "
        + ", ".join(f"{priority[p]} {p}" for p in reversed(PRIORITIES))
        + "."
        + (f" Open tasks by person: {open_by}." if people else "")
    )
