"""Offline rules for a project's crew and materials (the projects agent's rules use them).

Understands, for example: "add Jake to the Henderson crew", "put Maya on the Smith Dental
job crew", "remove Jake from the Smith crew", "who is on the Henderson crew?", "add 5 gallons
of primer at $32 to the Henderson job", "add 3 rollers at $12 each to the Smith project",
"what materials are on the Henderson job?".
"""

from __future__ import annotations

import re

from ...agents.formatting import money, plural
from ..parse import names
from . import Call

_PROJECT = r"(?:the\s+)?(?P<project>.+?)(?:['’]s)?(?:\s+(?:project|job))?"
_CREW_ADD = re.compile(
    rf"\b(?:add|put|assign)\s+(?P<who>.+?)\s+(?:to|on|onto)\s+{_PROJECT}\s+crew\b", re.I
)
_CREW_REMOVE = re.compile(
    rf"\b(?:remove|take|drop)\s+(?P<who>.+?)\s+(?:from|off)\s+{_PROJECT}\s+crew\b", re.I
)
_MATERIAL = re.compile(
    r"\b(?:add|log|record)\s+(?P<quantity>\d+(?:\.\d+)?)\s+(?:(?P<unit>[a-z]+)\s+of\s+)?"
    r"(?P<name>.+?)\s+(?:at|for|@)\s*\$\s*(?P<cost>\d[\d,]*(?:\.\d+)?)"
    r"(?:\s+(?:each|apiece|an?\s+\w+|per\s+\w+))?\s+(?:to|for|on)\s+"
    rf"{_PROJECT}\s*[.!?]*$",
    re.I,
)
#: The crew and materials intents, checked before the projects agent's others.
CREW_INTENTS = [
    ("crew_remove", _CREW_REMOVE),
    ("crew_add", _CREW_ADD),
    ("materials_add", _MATERIAL),
    ("materials", re.compile(r"\bmaterials?\b|\bsupplies\b", re.I)),
    ("crew", re.compile(r"\bcrew\b|\bwho(?:['’]s|\s+is|\s+are)\s+(?:working\s+)?on\b", re.I)),
]
#: The tool each intent calls once it has found the project (the crew is on its row).
CREW_TOOLS = {
    "crew_remove": "remove_crew_member",
    "crew_add": "add_crew_member",
    "materials_add": "add_material",
    "materials": "project_materials",
    "crew": None,
}
_PARSED = {"crew_remove": _CREW_REMOVE, "crew_add": _CREW_ADD, "materials_add": _MATERIAL}


def _parsed(text: str) -> re.Match | None:
    return next((match for pattern in _PARSED.values() if (match := pattern.search(text))), None)


def _capital(words: str) -> str:
    words = words.strip()
    return words[:1].upper() + words[1:]


def crew_project(text: str) -> str | None:
    """The project a crew change or a purchase names: "add Jake to the Henderson crew"
    gives "Henderson"."""
    match = _parsed(text)
    if not match:
        return None
    return next(iter(names(match["project"])), None) or match["project"].strip()


def crew_act(kind: str, text: str, project: dict) -> Call | None:
    """The call that does what `kind` asks on the one project found (None: just answer)."""
    tool, match = CREW_TOOLS[kind], _parsed(text)
    if tool is None or (kind in _PARSED and match is None):
        return None
    args: dict = {"id": project["id"]}
    if kind in ("crew_add", "crew_remove"):
        args["name"] = _capital(match["who"])
    elif kind == "materials_add":
        args["name"] = _capital(match["name"])
        args["quantity"] = float(match["quantity"])
        args["cost"] = float(match["cost"].replace(",", ""))
        if match["unit"]:
            args["unit"] = match["unit"].lower()
    return tool, args


# Answers ---------------------------------------------------------------------------------
def _people(crew: list[str]) -> str:
    if len(crew) < 2:
        return "".join(crew)
    return ", ".join(crew[:-1]) + f" and {crew[-1]}"


def crew_list_answer(result: dict, text: str) -> str:
    """Who is on the one project `list_projects` found."""
    project = result["projects"][0]
    crew = project.get("crew") or []
    if not crew:
        return f"Nobody is on the {project['name']} crew yet."
    return f"On the {project['name']} crew: {_people(crew)}."


def crew_changed_answer(result: dict, text: str) -> str:
    crew = result["crew"]
    now = f"The crew is now {_people(crew)}." if crew else "Nobody is on the crew now."
    return f"{result['summary']}. {now}"


def _line(item: dict) -> str:
    unit = f" {item['unit']}" if item.get("unit") else ""
    return (
        f"{item['name']}: {item['quantity']:g}{unit} at {money(item['cost'])} = "
        f"{money(item['total'])}"
    )


def material_added_answer(result: dict, text: str) -> str:
    item = result["material"]
    unit = f" {item['unit']} of" if item.get("unit") else ""
    return (
        f"Added {item['quantity']:g}{unit} {item['name']} at {money(item['cost'])} each "
        f"({money(item['total'])}). The materials on the job now come to "
        f"{money(result['materials_cost'])} ({plural(len(result['materials']), 'line')})."
    )


def materials_answer(result: dict, text: str) -> str:
    name, lines = result["project"]["name"], result["materials"]
    if not lines:
        return f"No materials are listed on {name} yet."
    listed = "\n".join(f"- {_line(item)}" for item in lines)
    return f"Materials on {name} ({money(result['materials_cost'])} in all):\n{listed}"


CREW_ANSWERS = {
    "add_crew_member": crew_changed_answer,
    "remove_crew_member": crew_changed_answer,
    "add_material": material_added_answer,
    "project_materials": materials_answer,
}
