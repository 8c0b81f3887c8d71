"""The tasks agent: the contractor's to-do list, completion and overdue work."""

from __future__ import annotations

from datetime import date

from marshmallow import fields, validate

from ...store.base import Filter, Search, now_iso
from ..formatting import percent_of
from ..tools import Agent, Reference, ToolContext, ToolError, ToolInput
from .crud import Paging, RecordId, add_cancel_tool, add_crud_tools, fetch, status_field

STATUSES = ("todo", "in_progress", "done", "cancelled")
#: Statuses that create_task and update_task leave to their own tools.
OWN_TOOLS = {"cancelled": "cancel_task"}
PRIORITIES = ("low", "medium", "high", "urgent")
OPEN = ("todo", "in_progress")
#: Tasks that can no longer be cancelled.
FINISHED = ("done", "cancelled")

agent = Agent(
    name="tasks",
    description="To-do tasks: adding, listing, completing, overdue work and completion rate.",
    instructions=(
        "You manage the contractor's tasks. Find a task with list_tasks before changing, "
        "completing or cancelling it; if several match, ask which one. Cancelling needs the "
        "user's confirmation in the app; say so. A new task needs a title; ask for it if "
        "missing, and take the due date and priority from the user's words. Use task_stats "
        "for completion rate and overdue counts. Never invent tasks or dates."
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


def label(task: dict) -> str:
    return f"the task “{task['title']}”"


def overdue_filters(today: date) -> list[Filter]:
    """Open tasks due before today."""
    return [Filter("status", "in", list(OPEN)), Filter("due_date", "lt", today.isoformat())]


def list_filters(args: dict, ctx: ToolContext) -> tuple[list[Filter], Search | None]:
    filters = [Filter(key, "eq", args[key]) for key in ("status", "priority") if key in args]
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
    "cancelled, in percent) and how many open tasks are overdue.",
)
def task_stats(ctx: ToolContext, args: dict) -> dict:
    count = ctx.store.count_records
    by_status = {s: count("tasks", filters=[Filter("status", "eq", s)]) for s in STATUSES}
    by_priority = {p: count("tasks", filters=[Filter("priority", "eq", p)]) for p in PRIORITIES}
    counted = sum(by_status.values()) - by_status["cancelled"]
    rate = percent_of(by_status["done"], counted)
    overdue = count("tasks", filters=overdue_filters(ctx.today))
    summary = (
        f"{rate}% of tasks done ({by_status['done']} of {counted}); {overdue} overdue"
        if counted
        else "No tasks yet"
    )
    return {
        "total": sum(by_status.values()),
        "by_status": by_status,
        "by_priority": by_priority,
        "completion_rate": rate,
        "overdue": overdue,
        "summary": summary,
    }
