"""How a project is doing: its progress (worked out from its tasks when it has any), what it
has cost (the cost recorded on it plus its materials), budget use, days left, and whether
spending runs ahead of progress; with the figures a client can chart."""

from __future__ import annotations

from collections import Counter
from datetime import date

from ...store.base import Filter
from ..formatting import money, percent_of
from ..stats import breakdown, number, series
from ..tools import ToolContext
from .crud import ALL_ROWS

#: A task's states, in the order figures list them.
TASK_STATUSES = ("todo", "in_progress", "done", "cancelled")
TASK_LABELS = {
    "todo": "To do",
    "in_progress": "In progress",
    "done": "Done",
    "cancelled": "Cancelled",
}
#: A project is at risk when its budget use runs this many points ahead of its progress.
RISK_MARGIN = 10


def task_counts(ctx: ToolContext, project_ids: list[str]) -> dict[str, Counter]:
    """How many of each project's tasks are in each state (one read for all of them)."""
    counts: dict[str, Counter] = {project_id: Counter() for project_id in project_ids}
    if project_ids:
        rows = ctx.store.list_records(
            "tasks", filters=[Filter("project_id", "in", list(project_ids))], limit=ALL_ROWS
        )
        for row in rows:
            counts[row["project_id"]][row["status"]] += 1
    return counts


def task_progress(counts: Counter) -> float | None:
    """Tasks done out of those not cancelled, in percent; None without such tasks."""
    return percent_of(counts["done"], sum(counts.values()) - counts["cancelled"])


def material_total(material: dict) -> float:
    """What one line of materials cost: its quantity at its cost per unit."""
    return round((material.get("quantity") or 0) * (material.get("cost") or 0), 2)


def materials_cost(project: dict) -> float:
    return round(sum(material_total(item) for item in project.get("materials") or []), 2)


def health(project: dict, today: date, counts: Counter) -> dict:
    """Progress against budget use and the calendar for one project; `counts` are its
    tasks by state."""
    budget, entered = project["budget"], project["progress"]
    from_tasks = task_progress(counts)
    progress = entered if from_tasks is None else from_tasks
    materials = materials_cost(project)
    spent = project["actual_cost"] + materials
    used = percent_of(spent, budget)
    end = date.fromisoformat(project["end_date"]) if project["end_date"] else None
    return {
        "id": project["id"],
        "name": project["name"],
        "client_name": project["client_name"],
        "status": project["status"],
        "progress": progress,
        "progress_source": "entered" if from_tasks is None else "tasks",
        "entered_progress": entered,
        "tasks": {status: counts[status] for status in TASK_STATUSES},
        "budget": budget,
        "actual_cost": project["actual_cost"],
        "materials_cost": materials,
        "total_cost": round(spent, 2),
        "budget_used_percent": used,
        "remaining_budget": round(budget - spent, 2),
        "end_date": project["end_date"],
        "days_left": (end - today).days if end else None,
        "at_risk": used is not None and used > progress + RISK_MARGIN,
    }


def progress_basis(row: dict) -> str:
    """Where a row's progress comes from: "" when entered by hand, else its tasks (and the
    entered figure when that differs)."""
    if row["progress_source"] != "tasks":
        return ""
    tasks = row["tasks"]
    counted = sum(tasks.values()) - tasks["cancelled"]
    differs = row["entered_progress"] != row["progress"]
    entered = f"; entered as {row['entered_progress']}%" if differs else ""
    return f" ({tasks['done']} of {counted} tasks done{entered})"


def health_summary(row: dict) -> str:
    used = (
        "no budget"
        if row["budget_used_percent"] is None
        else (f"{row['budget_used_percent']:g}% of {money(row['budget'])} budget used")
    )
    risk = "; at risk" if row["at_risk"] else ""
    return f"{row['name']}: {row['progress']:g}% done{progress_basis(row)}, {used}{risk}"


def progress_stats(row: dict) -> list[dict]:
    """One project's progress, and its tasks by state when it has any."""
    stats = [number(f"{row['name']}: progress", row["progress"], "percent")]
    if any(row["tasks"].values()):
        parts = [(TASK_LABELS[status], row["tasks"][status]) for status in TASK_STATUSES]
        stats.append(breakdown(f"{row['name']}: tasks by status", parts, "count"))
    return stats


def budget_stats(rows: list[dict]) -> list[dict]:
    """Budget and money spent (materials included), project by project."""
    return [
        series("Budget by project", [(row["name"], row["budget"]) for row in rows], "usd"),
        series("Spent by project", [(row["name"], row["total_cost"]) for row in rows], "usd"),
    ]
