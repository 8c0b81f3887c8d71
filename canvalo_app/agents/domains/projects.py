"""The projects agent: jobs, their progress, and how their budgets are holding up."""

from __future__ import annotations

from datetime import date

from marshmallow import fields, validate

from ...store.base import Filter, Search
from ..formatting import money, percent_of
from ..tools import Agent, Amount, Reference, ToolContext, ToolError, ToolInput
from .crud import Paging, RecordId, add_cancel_tool, add_crud_tools, fetch, status_field

STATUSES = ("planning", "in_progress", "on_hold", "completed", "cancelled")
#: Statuses that create_project and update_project leave to their own tools.
OWN_TOOLS = {"cancelled": "cancel_project"}
#: Projects that can no longer be cancelled.
FINISHED = ("completed", "cancelled")
#: Projects still under way: the ones budgets are watched on.
ACTIVE = ("planning", "in_progress", "on_hold")
#: A project is at risk when its budget use runs this many points ahead of its progress.
RISK_MARGIN = 10

agent = Agent(
    name="projects",
    description="Painting projects: status, progress, budgets and costs.",
    instructions=(
        "You manage the contractor's projects. Find a project with list_projects (by its or "
        "its client's name) before reporting on, changing or cancelling it; if several match, "
        "ask which. Use project_progress for one project and budget_overview for all active "
        "ones. Cancelling needs the user's confirmation in the app; say so. Ask for missing "
        "values (a new project needs a name) and never invent figures or dates."
    ),
)


class ProjectFields(ToolInput):
    name = fields.String(required=True, validate=validate.Length(1, 200))
    client_name = fields.String(validate=validate.Length(1, 200))
    contact_id = Reference(
        "contacts", "contact", metadata={"description": "The client's contact record."}
    )
    address = fields.String(validate=validate.Length(max=500))
    status = status_field(STATUSES, OWN_TOOLS)
    start_date = fields.Date(metadata={"description": "YYYY-MM-DD."})
    end_date = fields.Date(metadata={"description": "Planned finish, YYYY-MM-DD."})
    budget = Amount(maximum=100_000_000, metadata={"description": "Dollars."})
    actual_cost = Amount(maximum=100_000_000, metadata={"description": "Dollars spent so far."})
    progress = fields.Integer(
        validate=validate.Range(0, 100), metadata={"description": "Percent complete."}
    )
    description = fields.String(validate=validate.Length(max=2000))


class ProjectUpdate(RecordId, ProjectFields):
    pass


class ProjectList(Paging):
    status = fields.String(validate=validate.OneOf(STATUSES), metadata={"description": "State."})
    active_only = fields.Boolean(metadata={"description": "Only planning, in progress, on hold."})
    search = fields.String(
        validate=validate.Length(1, 200),
        metadata={"description": "Text in the project's name, client or address."},
    )


class ProgressUpdate(RecordId):
    progress = fields.Integer(
        required=True, validate=validate.Range(0, 100), metadata={"description": "Percent done."}
    )
    actual_cost = Amount(maximum=100_000_000, metadata={"description": "Dollars spent so far."})


def label(project: dict) -> str:
    return f"project “{project['name']}”"


def list_filters(args: dict, ctx: ToolContext) -> tuple[list[Filter], Search | None]:
    filters = [Filter("status", "eq", args["status"])] if "status" in args else []
    if args.get("active_only"):
        filters.append(Filter("status", "in", list(ACTIVE)))
    columns = ("name", "client_name", "address")
    return filters, Search(columns, args["search"]) if "search" in args else None


def dates_in_order(values: dict, ctx: ToolContext, existing: dict | None) -> dict:
    """Refuse an end date before the start date, whichever of the two is being written."""
    start, end = ({**(existing or {}), **values}.get(key) for key in ("start_date", "end_date"))
    if start and end and end < start:
        raise ToolError("The end date must not be before the start date.")
    return values


add_crud_tools(
    agent,
    "projects",
    "project",
    "projects",
    create=ProjectFields(),
    update=ProjectUpdate(partial=tuple(ProjectFields().fields)),
    list_schema=ProjectList(),
    list_filters=list_filters,
    label=label,
    prepare=dates_in_order,
)


def find_project(ctx: ToolContext, words: str) -> dict:
    """The one project (not cancelled) whose name or client matches `words`."""
    found = ctx.store.list_records(
        "projects",
        search=Search(("name", "client_name"), words),
        filters=[Filter("status", "neq", "cancelled")],
        limit=10,
    )
    if not found:
        raise ToolError(f"No project matches “{words}”.")
    if len(found) > 1:
        raise ToolError("Several projects match: " + "; ".join(p["name"] for p in found) + ".")
    return found[0]


def health(project: dict, today: date) -> dict:
    """Progress against budget use and the calendar for one project."""
    budget, cost, progress = project["budget"], project["actual_cost"], project["progress"]
    used = percent_of(cost, budget)
    end = date.fromisoformat(project["end_date"]) if project["end_date"] else None
    return {
        "id": project["id"],
        "name": project["name"],
        "client_name": project["client_name"],
        "status": project["status"],
        "progress": progress,
        "budget": budget,
        "actual_cost": cost,
        "budget_used_percent": used,
        "remaining_budget": round(budget - cost, 2),
        "end_date": project["end_date"],
        "days_left": (end - today).days if end else None,
        "at_risk": used is not None and used > progress + RISK_MARGIN,
    }


def health_summary(row: dict) -> str:
    used = (
        "no budget"
        if row["budget_used_percent"] is None
        else (f"{row['budget_used_percent']:g}% of {money(row['budget'])} budget used")
    )
    risk = "; at risk" if row["at_risk"] else ""
    return f"{row['name']}: {row['progress']}% done, {used}{risk}"


@agent.tool(
    "project_progress",
    RecordId(),
    "One project's progress, budget use, remaining budget, days left and an at-risk flag "
    f"(budget use more than {RISK_MARGIN} points ahead of progress).",
)
def project_progress(ctx: ToolContext, args: dict) -> dict:
    row = health(fetch(ctx, "projects", args["id"], "project"), ctx.today)
    return {"project": row, "summary": health_summary(row)}


@agent.tool(
    "update_project_progress", ProgressUpdate(), "Set a project's percent done (and cost so far)."
)
def update_project_progress(ctx: ToolContext, args: dict) -> dict:
    project = fetch(ctx, "projects", args["id"], "project")
    values = {key: args[key] for key in ("progress", "actual_cost") if key in args}
    row = health(ctx.store.update_record("projects", project["id"], values), ctx.today)
    return {"project": row, "summary": "Updated " + health_summary(row)}


@agent.tool(
    "budget_overview",
    ToolInput(),
    "Budget against cost for every active project, the totals, and which are at risk.",
)
def budget_overview(ctx: ToolContext, args: dict) -> dict:
    projects = ctx.store.list_records(
        "projects", filters=[Filter("status", "in", list(ACTIVE))], order_by="end_date", limit=500
    )
    rows = [health(project, ctx.today) for project in projects]
    budget = round(sum(row["budget"] for row in rows), 2)
    cost = round(sum(row["actual_cost"] for row in rows), 2)
    at_risk = [row["name"] for row in rows if row["at_risk"]]
    summary = (
        f"{len(rows)} active projects: {money(cost)} spent of {money(budget)}; "
        f"{len(at_risk)} at risk"
        if rows
        else "No active projects"
    )
    return {
        "projects": rows,
        "count": len(rows),
        "total_budget": budget,
        "total_cost": cost,
        "remaining": round(budget - cost, 2),
        "at_risk": at_risk,
        "summary": summary,
    }


add_cancel_tool(
    agent,
    "projects",
    "project",
    description="Cancel a project (asks the user to confirm first).",
    finished=FINISHED,
    label=lambda project: f"the {label(project)}",
    refusal=lambda project: f"The {label(project)} is already {project['status']}.",
)
