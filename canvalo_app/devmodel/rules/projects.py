"""Offline rules for the projects agent: how jobs are going, budgets, progress updates.

Understands, for example: "how is the Henderson project going?", "what's the budget status of
my projects?", "which projects are at risk?", "show my projects in progress", "set the
Henderson project to 75%", "create a project “Fence staining” for Grace Kim with a $2,000
budget", "cancel the Smith project" and "delete the Kim project" (both wait for confirmation in
the app), "how far along is the Henderson project?", "add Jake to the Henderson crew", "remove
Jake from the Smith crew", "who is on the Henderson crew?", "add 5 gallons of primer at $32 to
the Henderson job", "what materials are on the Henderson job?".
"""

from __future__ import annotations

import re
from datetime import date

from ...agents.domains.projects import STATUSES
from ...agents.formatting import day, money, plural
from ..dates import find_date
from ..parse import amounts, names, percent, quoted, status_in, unquoted
from . import Call, Step, failed, find_then_act, not_one, records
from .project_crew import (
    CREW_ANSWERS,
    CREW_INTENTS,
    CREW_TOOLS,
    crew_act,
    crew_list_answer,
    crew_project,
)

SYNONYMS = {
    "active": "in_progress",
    "ongoing": "in_progress",
    "underway": "in_progress",
    "paused": "on_hold",
    "done": "completed",
    "finished": "completed",
}
_INTENTS = [
    *CREW_INTENTS,
    ("delete", re.compile(r"\b(?:delete|remove)\b", re.I)),
    ("cancel", re.compile(r"\b(?:cancel|call\s+off)\b", re.I)),
    ("create", re.compile(r"\b(?:create|add|new|start|set\s+up)\b.*\bproject\b", re.I)),
    (
        "update",
        re.compile(
            r"\b(?:set|update|mark|move|put)\b.*\d+\s*(?:%|percent)"
            r"|\d+\s*(?:%|percent)\s+(?:done|complete|finished)\b",
            re.I,
        ),
    ),
    ("budget", re.compile(r"\b(?:budgets?|at\s+risk|over\s*budget|costs?|spend|spent)\b", re.I)),
    ("progress", re.compile(r"\b(?:how|going|(?<!in\s)progress|doing|on\s+track|status)\b", re.I)),
]
#: Intents that first find one project, then act on it.
ACTIONS = ("delete", "cancel", "update", "progress", *(kind for kind, _ in CREW_INTENTS))
_STATUS_WORDS = r"planning|completed|finished|done|active|in\s+progress"
#: The fields "put the Lopez kitchen project on hold", "change the budget of the Lopez project
#: to $4,800" and the like change.
EDITS = [
    records.Edit(
        "status",
        re.compile(rf"\bon\s+hold\b|\bstatus\b|\bas\s+(?:{_STATUS_WORDS})\b", re.I),
        lambda text, today: status_in(text, STATUSES, SYNONYMS),
    ),
    records.Edit("budget", re.compile(r"\bbudget\b", re.I), records.money_after_to),
    records.Edit(
        "end_date",
        re.compile(r"\b(?:end|finish)\s+date\b|\bdeadline\b", re.I),
        records.date_after_to,
    ),
    records.Edit("name", re.compile(r"\brename\b", re.I), records.words_after_to),
]
_CALLED = re.compile(r"\b(?:called|named)\s+(.+?)(?:\s+for\b|\s+with\b|[,.!?]|$)", re.I)


def intent(text: str) -> str:
    kind = next((kind for kind, pattern in _INTENTS if pattern.search(text)), "list")
    if kind in ("budget", "progress") and who(text):
        return "progress"
    if kind == "progress" and not status_in(text, STATUSES, SYNONYMS):
        return "budget"
    return "list" if kind == "progress" else kind


def who(text: str) -> str | None:
    """The project's or client's name, outside any quoted project title."""
    return crew_project(text) or next(iter(names(unquoted(text))), None)


def find_call(text: str) -> Call:
    args: dict = {"limit": 5}
    if name := who(text):
        args["search"] = name
    return "list_projects", args


def act(kind: str, text: str, project: dict) -> Call | None:
    if kind in CREW_TOOLS:
        return crew_act(kind, text, project)
    if kind in ("delete", "cancel"):
        return f"{kind}_project", {"id": project["id"]}
    if kind == "update":
        args = {"id": project["id"], "progress": round(percent(text) or 0)}
        if found := amounts(text):
            args["actual_cost"] = found[0]
        return "update_project_progress", args
    return "project_progress", {"id": project["id"]}


def create_args(text: str, today: date) -> dict | None:
    client = who(text)
    name = quoted(text) or (match[1].strip() if (match := _CALLED.search(text)) else None)
    if not name and not client:
        return None
    args: dict = {"name": name or f"{client} project"}
    if client:
        args["client_name"] = client
    if found := amounts(text):
        args["budget"] = found[0]
    if start := find_date(text, today):
        args["start_date"] = start.isoformat()
    return args


def list_args(text: str) -> dict:
    args: dict = {"limit": 20}
    if status := status_in(text, STATUSES, SYNONYMS):
        args["status"] = status
    return args


def record_plan(kind: str, text: str, today: date) -> tuple[str, dict] | None:
    """Showing one project in full, or changing its status, budget, end date or name."""
    reading = kind in ("list", "budget", "progress")
    return records.record_kind(text, today, EDITS) if reading else None


def next_calls(text: str, steps: list[Step], today: date) -> list[Call]:
    kind = intent(text)
    if plan := record_plan(kind, text, today):
        return records.record_calls(plan[0], "project", steps, find_call(text), plan[1])
    if kind in ACTIONS:
        return find_then_act(steps, find_call(text), "projects", lambda p: act(kind, text, p))
    if steps:
        return []
    if kind == "budget":
        return [("budget_overview", {})]
    if kind == "create":
        args = create_args(text, today)
        return [("create_project", args)] if args else []
    return [("list_projects", list_args(text))]


# Answers ---------------------------------------------------------------------------------
def state(project: dict) -> str:
    return project["status"].replace("_", " ")


def describe(project: dict) -> str:
    client = f" ({project['client_name']})" if project.get("client_name") else ""
    return f"{project['name']}{client}, {state(project)}, {project['progress']}% done"


def used(row: dict) -> str:
    if row["budget_used_percent"] is None:
        return "no budget set"
    return f"{row['budget_used_percent']:g}% of its {money(row['budget'])} budget used"


def basis(row: dict) -> str:
    """How the progress was worked out, when it was from the project's tasks."""
    if row["progress_source"] != "tasks":
        return ""
    tasks = row["tasks"]
    counted = sum(tasks.values()) - tasks["cancelled"]
    said = f"That's {tasks['done']} of its {plural(counted, 'task')} done"
    if row["entered_progress"] != row["progress"]:
        return f" {said}; the progress entered on the project says {row['entered_progress']}%."
    return f" {said}."


def progress_answer(result: dict, text: str) -> str:
    row = result["project"]
    materials = (
        f" (including {money(row['materials_cost'])} of materials)" if row["materials_cost"] else ""
    )
    parts = [
        f"{row['name']} is {row['progress']:g}% done ({state(row)}) with {used(row)}: "
        f"{money(row['total_cost'])} spent{materials}, {money(row['remaining_budget'])} left."
        + basis(row)
    ]
    if row["days_left"] is not None:
        ends = day(row["end_date"])
        parts.append(
            f"It's due to finish on {ends}, in {plural(row['days_left'], 'day')}."
            if row["days_left"] >= 0
            else f"It was due to finish on {ends}."
        )
    parts.append(
        "It looks at risk: spending is running ahead of progress."
        if row["at_risk"]
        else "Spending is in line with progress."
    )
    return " ".join(parts)


def overview_answer(result: dict, text: str) -> str:
    if not result["count"]:
        return "You have no active projects."
    header = (
        f"Across {plural(result['count'], 'active project')} you've spent "
        f"{money(result['total_cost'])} of {money(result['total_budget'])} budgeted "
        f"({money(result['remaining'])} left):"
    )
    lines = [
        f"- {row['name']}: {row['progress']:g}% done, {used(row)}"
        + (" (at risk)" if row["at_risk"] else "")
        for row in result["projects"]
    ]
    risk = ", ".join(result["at_risk"]) or "none"
    return "\n".join([header, *lines, f"At risk: {risk}."])


def list_answer(result: dict, text: str) -> str:
    rows = result["projects"]
    if not rows:
        return "I couldn't find any projects matching that."
    lines = [f"- {describe(row)}, budget {money(row['budget'])}" for row in rows]
    status = status_in(text, STATUSES, SYNONYMS)
    which = f" {status.replace('_', ' ')}" if status else ""
    return "\n".join([f"You have {plural(result['total'], 'project')}{which}:", *lines])


def created_answer(result: dict, text: str) -> str:
    project = result["project"]
    budget = f" with a budget of {money(project['budget'])}" if project["budget"] else ""
    return f"Created the project “{project['name']}”{budget} (status: {state(project)})."


def updated_answer(result: dict, text: str) -> str:
    row = result["project"]
    return f"{row['name']} is now {row['progress']:g}% done, with {used(row)}." + basis(row)


ANSWERS = {
    "project_progress": progress_answer,
    "budget_overview": overview_answer,
    "list_projects": list_answer,
    "create_project": created_answer,
    "update_project_progress": updated_answer,
    **CREW_ANSWERS,
}
HELP = "Which project? Tell me its name or its client's name, e.g. “the Henderson project”."


def answer(text: str, steps: list[Step], today: date) -> str:
    kind = intent(text)
    if not steps:
        return HELP
    if record_plan(kind, text, today):
        return records.record_answer(steps, "project", who(text) or "", describe)
    last = steps[-1]
    if last.status != "ok":
        return failed(last)
    if kind in ACTIONS and len(steps) == 1:
        missing = not_one(last, "projects", "project", who(text) or "", describe)
        return missing or (crew_list_answer(last.result, text) if kind == "crew" else HELP)
    write = ANSWERS.get(last.name, lambda result, _: result.get("summary", "Done."))
    return write(last.result, text)
