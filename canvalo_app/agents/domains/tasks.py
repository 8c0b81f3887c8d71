"""The tasks agent: the contractor's to-do list, who does what, each project's tasks,
completion and overdue work."""

from __future__ import annotations

from datetime import date

from marshmallow import fields, validate

from ...store.base import Filter, Search, now_iso
from ..formatting import percent_of
from ..stats import breakdown, number
from ..tools import Agent, Reference, ToolContext, ToolError, ToolInput
from .crud import ALL_ROWS, Paging, RecordId, add_cancel_tool, add_crud_tools, fetch, status_field
from .project_health import TASK_LABELS
from .project_health import TASK_STATUSES as STATUSES
from .projects import find_project

#: Statuses that create_task and update_task leave to their own tools.
OWN_TOOLS = {"cancelled": "cancel_task"}
PRIORITIES = ("low", "medium", "high", "urgent")
OPEN = ("todo", "in_progress")
#: Tasks that can no longer be cancelled.
FINISHED = ("done", "cancelled")
#: How task_stats names open tasks nobody is assigned to.
UNASSIGNED = "Unassigned"

agent = Agent(
    name="tasks",
    description=(
        "To-do tasks: adding, listing (by project or assignee), assigning, completing, "
        "overdue work and completion rate."
    ),
    instructions=(
        "You manage the contractor's tasks. Find a task with list_tasks before changing, "
        "completing or cancelling it; if several match, ask which one. Cancelling needs the "
        "user's confirmation in the app; say so. A new task needs a title; ask for it if "
        "missing, and take the due date, priority and assignee from the user's words. To "
        "list one project's tasks, give list_tasks the project's (or its client's) name. "
        "Use task_stats for completion rate, overdue counts and who has what open. Never "
        "invent tasks or dates."
    ),
)


class TaskFields(ToolInput):
    title = fields.String(
        required=True, validate=validate.Length(1, 200), metadata={"description": "What to do."}
    )
    description = fields.String(
        validate=validate.Length(max=2000), metadata={"description": "Details."}
    )
    status = status_field(STATUSES, OWN_TOOLS)
    priority = fields.String(
        validate=validate.OneOf(PRIORITIES), metadata={"description": "How urgent it is."}
    )
    due_date = fields.Date(metadata={"description": "When it is due (YYYY-MM-DD)."})
    project_id = Reference(
        "projects", "project", metadata={"description": "The project it belongs to."}
    )
    assignee = fields.String(
        allow_none=True,
        validate=validate.Length(1, 100),
        metadata={"description": "Who does it, by name; null for nobody."},
    )


class TaskUpdate(RecordId, TaskFields):
    pass


class TaskList(Paging):
    status = fields.String(validate=validate.OneOf(STATUSES), metadata={"description": "State."})
    priority = fields.String(
        validate=validate.OneOf(PRIORITIES), metadata={"description": "Only this priority."}
    )
    open_only = fields.Boolean(metadata={"description": "Only tasks not done or cancelled."})
    overdue_only = fields.Boolean(
        metadata={"description": "Only open tasks whose due date has passed."}
    )
    due_before = fields.Date(metadata={"description": "Only tasks due on or before this date."})
    search = fields.String(
        validate=validate.Length(1, 200), metadata={"description": "Text in the title or details."}
    )
    assignee = fields.String(
        validate=validate.Length(1, 100),
        metadata={
            "description": "Only tasks assigned to this person (any case; a first name "
            "finds a full name)."
        },
    )
    project = fields.String(
        validate=validate.Length(1, 200),
        metadata={"description": "Only the tasks of the one project with this name or client."},
    )
    project_id = Reference(
        "projects", "project", metadata={"description": "Only the tasks of this project."}
    )


def label(task: dict) -> str:
    return f"the task “{task['title']}”"


def overdue_filters(today: date) -> list[Filter]:
    """Open tasks due before today."""
    return [Filter("status", "in", list(OPEN)), Filter("due_date", "lt", today.isoformat())]


def assignees(ctx: ToolContext) -> list[str]:
    """Everyone the user's tasks are assigned to."""
    rows = ctx.store.list_records(
        "tasks", filters=[Filter("assignee", "is_null", False)], limit=ALL_ROWS
    )
    return sorted({row["assignee"] for row in rows})


def assigned_to(ctx: ToolContext, name: str) -> Filter:
    """Tasks assigned to `name`: the same name in any case, or a full name it begins."""
    wanted = name.strip().casefold()
    matches = [
        person
        for person in assignees(ctx)
        if person.casefold() == wanted or person.casefold().split()[:1] == [wanted]
    ]
    return Filter("assignee", "in", matches or [name])


def list_filters(args: dict, ctx: ToolContext) -> tuple[list[Filter], Search | None]:
    filters = [Filter(key, "eq", args[key]) for key in ("status", "priority") if key in args]
    if "project" in args:
        filters.append(Filter("project_id", "eq", find_project(ctx, args["project"])["id"]))
    if "project_id" in args:
        filters.append(Filter("project_id", "eq", str(args["project_id"])))
    if "assignee" in args:
        filters.append(assigned_to(ctx, args["assignee"]))
    if args.get("open_only"):
        filters.append(Filter("status", "in", list(OPEN)))
    if args.get("overdue_only"):
        filters += overdue_filters(ctx.today)
    if "due_before" in args:
        filters.append(Filter("due_date", "lte", args["due_before"].isoformat()))
    search = Search(("title", "description"), args["search"]) if "search" in args else None
    return filters, search


def stamp_completion(values: dict, ctx: ToolContext, existing: dict | None) -> dict:
    """Keep completed_at in step with the status: set when done, cleared when reopened."""
    if "status" not in values:
        return values
    done = values["status"] == "done"
    already = existing is not None and existing["status"] == "done"
    if done and not already:
        return {**values, "completed_at": now_iso()}
    return values if done else {**values, "completed_at": None}


add_crud_tools(
    agent,
    "tasks",
    "task",
    "tasks",
    create=TaskFields(),
    update=TaskUpdate(partial=tuple(TaskFields().fields)),
    list_schema=TaskList(),
    list_filters=list_filters,
    label=label,
    order_by="due_date",
    descending=False,
    prepare=stamp_completion,
)


@agent.tool("complete_task", RecordId(), "Mark a task done and record when it was completed.")
def complete_task(ctx: ToolContext, args: dict) -> dict:
    task = fetch(ctx, "tasks", args["id"], "task")
    if task["status"] == "done":
        return {
            "task": task,
            "already_done": True,
            "summary": f"“{task['title']}” was already done",
        }
    if task["status"] == "cancelled":
        raise ToolError(f"“{task['title']}” was cancelled; reopen it before completing it.")
    values = stamp_completion({"status": "done"}, ctx, task)
    task = ctx.store.update_record("tasks", task["id"], values)
    return {"task": task, "already_done": False, "summary": f"Completed {label(task)}"}


add_cancel_tool(
    agent,
    "tasks",
    "task",
    description="Cancel a task that is no longer needed (asks the user to confirm first).",
    finished=FINISHED,
    label=label,
    refusal=lambda task: f"“{task['title']}” is already {task['status']}.",
    prepare=stamp_completion,
)


@agent.tool(
    "task_stats",
    ToolInput(),
    "Task counts by status and priority, completion rate (done out of all tasks not "
    "cancelled, in percent), how many open tasks are overdue, and open tasks by assignee.",
)
def task_stats(ctx: ToolContext, args: dict) -> dict:
    count = ctx.store.count_records
    by_status = {s: count("tasks", filters=[Filter("status", "eq", s)]) for s in STATUSES}
    by_priority = {p: count("tasks", filters=[Filter("priority", "eq", p)]) for p in PRIORITIES}
    counted = sum(by_status.values()) - by_status["cancelled"]
    rate = percent_of(by_status["done"], counted)
    overdue = count("tasks", filters=overdue_filters(ctx.today))
    by_assignee = open_by_assignee(ctx)
    summary = (
        f"{rate}% of tasks done ({by_status['done']} of {counted}); {overdue} overdue"
        if counted
        else "No tasks yet"
    )
    return {
        "total": sum(by_status.values()),
        "by_status": by_status,
        "by_priority": by_priority,
        "by_assignee": by_assignee,
        "completion_rate": rate,
        "overdue": overdue,
        "summary": summary,
        "stat_data": [
            breakdown(
                "Tasks by status", [(TASK_LABELS[s], n) for s, n in by_status.items()], "count"
            ),
            breakdown("Open tasks by assignee", list(by_assignee.items()), "count"),
            number("Overdue tasks", overdue, "count"),
        ],
    }


def open_by_assignee(ctx: ToolContext) -> dict[str, int]:
    """How many open tasks each person has, most first; "Unassigned" for nobody's."""
    rows = ctx.store.list_records(
        "tasks", filters=[Filter("status", "in", list(OPEN))], limit=ALL_ROWS
    )
    counts: dict[str, int] = {}
    for row in rows:
        person = row["assignee"] or UNASSIGNED
        counts[person] = counts.get(person, 0) + 1
    return dict(sorted(counts.items(), key=lambda item: (item[0] == UNASSIGNED, -item[1], item[0])))
