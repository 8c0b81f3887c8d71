"""A project's crew (who works on it) and its materials (what was bought for it: each line
a name, a quantity, a unit and a cost per unit), both kept on the project's row.

The materials' cost counts towards what the project has cost (see project_health).
"""

from __future__ import annotations

from marshmallow import fields, validate

from ..formatting import money, plural
from ..stats import breakdown
from ..tools import Agent, Amount, ToolContext, ToolError, ToolInput
from .crud import RecordId, fetch
from .project_health import material_total, materials_cost

#: The most people on one crew and lines of materials on one project.
MAX_CREW = 50
MAX_MATERIALS = 200


class Material(ToolInput):
    name = fields.String(
        required=True,
        validate=validate.Length(1, 200),
        metadata={"description": "What it is, e.g. “Exterior primer”."},
    )
    quantity = fields.Float(
        required=True,
        validate=validate.Range(min=0, max=100_000, min_inclusive=False),
        metadata={"description": "How many units."},
    )
    unit = fields.String(
        validate=validate.Length(1, 30),
        metadata={"description": "The unit counted: gallons, rolls, boxes, each."},
    )
    cost = Amount(maximum=1_000_000, required=True, metadata={"description": "Dollars per unit."})


class CrewMember(RecordId):
    name = fields.String(
        required=True,
        validate=validate.Length(1, 100),
        metadata={"description": "The person's name, e.g. “Jake”."},
    )


class AddMaterial(RecordId, Material):
    pass


def crew_field() -> fields.List:
    return fields.List(
        fields.String(validate=validate.Length(1, 100)),
        validate=validate.Length(max=MAX_CREW),
        metadata={"description": "Everyone on the crew, by name (replaces the list)."},
    )


def materials_field() -> fields.List:
    return fields.List(
        fields.Nested(Material),
        validate=validate.Length(max=MAX_MATERIALS),
        metadata={"description": "Every line of materials (replaces the list)."},
    )


def _crew(project: dict) -> list[str]:
    return list(project.get("crew") or [])


def _on_crew(crew: list[str], name: str) -> str | None:
    """The crew member `name` stands for (any case), if any."""
    return next((member for member in crew if member.casefold() == name.casefold()), None)


def _named(project: dict) -> str:
    return f"project “{project['name']}”"


def add_crew_member(ctx: ToolContext, args: dict) -> dict:
    project = fetch(ctx, "projects", args["id"], "project")
    crew, name = _crew(project), args["name"].strip()
    if member := _on_crew(crew, name):
        summary = f"{member} is already on the crew of {_named(project)}"
        return {"crew": crew, "added": False, "summary": summary}
    if len(crew) >= MAX_CREW:
        raise ToolError(f"A crew has at most {MAX_CREW} people.")
    crew.append(name)
    ctx.store.update_record("projects", project["id"], {"crew": crew})
    summary = f"Added {name} to the crew of {_named(project)}"
    return {"crew": crew, "added": True, "summary": summary}


def remove_crew_member(ctx: ToolContext, args: dict) -> dict:
    project = fetch(ctx, "projects", args["id"], "project")
    crew = _crew(project)
    member = _on_crew(crew, args["name"].strip())
    if member is None:
        on = ", ".join(crew) or "nobody"
        raise ToolError(f"{args['name']} is not on the crew of {_named(project)} (on it: {on}).")
    crew.remove(member)
    ctx.store.update_record("projects", project["id"], {"crew": crew})
    return {"crew": crew, "summary": f"Removed {member} from the crew of {_named(project)}"}


def _lines(project: dict) -> list[dict]:
    return [{**item, "total": material_total(item)} for item in project.get("materials") or []]


def _amount(item: dict) -> str:
    unit = f" {item['unit']}" if item.get("unit") else ""
    return f"{item['quantity']:g}{unit} of {item['name']} at {money(item['cost'])}"


def add_material(ctx: ToolContext, args: dict) -> dict:
    project = fetch(ctx, "projects", args["id"], "project")
    materials = list(project.get("materials") or [])
    if len(materials) >= MAX_MATERIALS:
        raise ToolError(f"A project lists at most {MAX_MATERIALS} lines of materials.")
    item = {key: args.get(key) for key in ("name", "quantity", "unit", "cost")}
    project = ctx.store.update_record("projects", project["id"], {"materials": [*materials, item]})
    total = materials_cost(project)
    line = {**item, "total": material_total(item)}
    return {
        "material": line,
        "materials": _lines(project),
        "materials_cost": total,
        "summary": f"Added {_amount(item)} ({money(line['total'])}) to {_named(project)}; "
        f"its materials now cost {money(total)}",
    }


def project_materials(ctx: ToolContext, args: dict) -> dict:
    project = fetch(ctx, "projects", args["id"], "project")
    lines, total = _lines(project), materials_cost(project)
    parts = [(line["name"], line["total"]) for line in lines]
    return {
        "project": {"id": project["id"], "name": project["name"]},
        "materials": lines,
        "materials_cost": total,
        "summary": f"Project “{project['name']}”: {plural(len(lines), 'line')} of materials, "
        f"{money(total)}",
        "stat_data": [breakdown(f"{project['name']}: materials cost", parts, "usd")]
        if lines
        else [],
    }


def add_crew_tools(agent: Agent) -> None:
    """Give the projects agent its crew and materials tools."""
    agent.tool("add_crew_member", CrewMember(), "Put a person on a project's crew; give its id.")(
        add_crew_member
    )
    agent.tool(
        "remove_crew_member", CrewMember(), "Take a person off a project's crew; give its id."
    )(remove_crew_member)
    agent.tool(
        "add_material",
        AddMaterial(),
        "Add a line of materials to a project: what, how many, the unit and the cost per "
        "unit in dollars. Its cost counts towards what the project has cost.",
    )(add_material)
    agent.tool(
        "project_materials",
        RecordId(),
        "A project's materials, each line's cost (quantity times cost per unit) and their total.",
    )(project_materials)
