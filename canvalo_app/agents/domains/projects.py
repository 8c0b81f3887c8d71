"""The projects agent: jobs, their progress, and how their budgets are holding up."""

from __future__ import annotations

from marshmallow import fields, validate

from ...store.base import Filter, Search
from ..formatting import money
from ..tools import Agent, Amount, Reference, ToolContext, ToolError, ToolInput
from .crud import Paging, RecordId, add_cancel_tool, add_crud_tools, fetch, status_field
from .project_crew import add_crew_tools, crew_field, materials_field
from .project_health import (
    RISK_MARGIN,
    budget_stats,
    health,
    health_summary,
    progress_stats,
    task_counts,
)

STATUSES = ("planning", "in_progress", "on_hold", "completed", "cancelled")
#: Statuses that create_project and update_project leave to their own tools.
OWN_TOOLS = {"cancelled": "cancel_project"}
#: Projects that can no longer be cancelled.
FINISHED = ("completed", "cancelled")
#: Projects still under way: the ones budgets are watched on.
ACTIVE = ("planning", "in_progress", "on_hold")

agent = Agent(
    name="projects",
    description="Painting projects: status, progress, budgets and costs, crews and materials.",
    instructions=(
        "You manage the contractor's projects. Find a project with list_projects (by its or "
        "its client's name) before reporting on, changing or cancelling it; if several match, "
        "ask which. Use project_progress for one project and budget_overview for all active "
        "ones; a project with tasks has its progress worked out from them, so say so when it "
        "differs from the percent entered. The crew and materials are on the project's record; "
        "change them with add_crew_member, remove_crew_member and add_material, and read "
        "materials and their cost with project_materials. Cancelling needs the user's "
        "confirmation in the app; say so. A project marked completed is dated today unless "
        "the user says which day it was finished (completed_on). Ask for missing values (a "
        "new project needs a name) and never invent figures or dates."
    ),
)


SPENT = "Dollars spent so far, besides the materials listed on the project (added to it)."
FINISHED_ON = "The day it was finished, YYYY-MM-DD; today when it is marked completed."
PERCENT = "Percent complete (a project with tasks shows the share of them done instead)."


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
    completed_on = fields.Date(metadata={"description": FINISHED_ON})
    budget = Amount(maximum=100_000_000, metadata={"description": "Dollars."})
    actual_cost = Amount(maximum=100_000_000, metadata={"description": SPENT})
    progress = fields.Integer(validate=validate.Range(0, 100), metadata={"description": PERCENT})
    description = fields.String(validate=validate.Length(max=2000))
    crew = crew_field()
    materials = materials_field()


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
        required=True, validate=validate.Range(0, 100), metadata={"description": PERCENT}
    )
    actual_cost = Amount(maximum=100_000_000, metadata={"description": SPENT})


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


def stamp_completion(values: dict, ctx: ToolContext, existing: dict | None) -> dict:
    """Keep completed_on in step with the status: the business's today (unless another day
    is given) when a project becomes completed, cleared when it is no longer."""
    status = values.get("status") or (existing or {}).get("status")
    if status != "completed":
        if values.get("completed_on"):
            raise ToolError(
                "Only a completed project has a completion date; mark it completed too."
            )
        return {**values, "completed_on": None} if "status" in values else values
    if values.get("completed_on", "") > ctx.today.isoformat():
        raise ToolError("The completion date must not be in the future.")
    if "status" in values and (existing or {}).get("status") != "completed":
        return {"completed_on": ctx.today.isoformat(), **values}
    return values


def prepare(values: dict, ctx: ToolContext, existing: dict | None) -> dict:
    return stamp_completion(dates_in_order(values, ctx, existing), ctx, existing)


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
    prepare=prepare,
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


def health_of(ctx: ToolContext, project: dict) -> dict:
    """One project's health, its progress worked out from its tasks if it has any."""
    return health(project, ctx.today, task_counts(ctx, [project["id"]])[project["id"]])


@agent.tool(
    "project_progress",
    RecordId(),
    "One project's progress (from its tasks, done out of those not cancelled, when it has "
    "any; else the percent entered), its tasks by status, budget use (its cost plus its "
    "materials), remaining budget, days left and an at-risk flag (budget use more than "
    f"{RISK_MARGIN} points ahead of progress).",
)
def project_progress(ctx: ToolContext, args: dict) -> dict:
    row = health_of(ctx, fetch(ctx, "projects", args["id"], "project"))
    return {"project": row, "summary": health_summary(row), "stat_data": progress_stats(row)}


@agent.tool(
    "update_project_progress",
    ProgressUpdate(),
    "Set a project's entered percent done (and cost so far). A project with tasks still "
    "reports the share of its tasks done.",
)
def update_project_progress(ctx: ToolContext, args: dict) -> dict:
    project = fetch(ctx, "projects", args["id"], "project")
    values = {key: args[key] for key in ("progress", "actual_cost") if key in args}
    row = health_of(ctx, ctx.store.update_record("projects", project["id"], values))
    return {"project": row, "summary": "Updated " + health_summary(row)}


@agent.tool(
    "budget_overview",
    ToolInput(),
    "Budget against cost (materials included) and progress for every active project, the "
    "totals, and which are at risk.",
)
def budget_overview(ctx: ToolContext, args: dict) -> dict:
    projects = ctx.store.list_records(
        "projects", filters=[Filter("status", "in", list(ACTIVE))], order_by="end_date", limit=500
    )
    counts = task_counts(ctx, [project["id"] for project in projects])
    rows = [health(project, ctx.today, counts[project["id"]]) for project in projects]
    budget = round(sum(row["budget"] for row in rows), 2)
    cost = round(sum(row["total_cost"] for row in rows), 2)
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
        "total_materials": round(sum(row["materials_cost"] for row in rows), 2),
        "remaining": round(budget - cost, 2),
        "at_risk": at_risk,
        "summary": summary,
        "stat_data": budget_stats(rows) if rows else [],
    }


add_crew_tools(agent)


add_cancel_tool(
    agent,
    "projects",
    "project",
    description="Cancel a project (asks the user to confirm first).",
    finished=FINISHED,
    label=lambda project: f"the {label(project)}",
    refusal=lambda project: f"The {label(project)} is already {project['status']}.",
)
