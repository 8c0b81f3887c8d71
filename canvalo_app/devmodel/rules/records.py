"""Offline rules every domain shares for one record: showing it in full ("show me the details
of INV-1004", "pull up the Henderson project"), changing a field of it ("change the due date
on INV-1005 to December 15") and deleting it ("delete the cabinet campaign").

Each is the two-round plan of `find_then_act`: the domain's own lookup finds the record, then
get_<noun>, update_<noun> or delete_<noun> acts on the one found. A domain says which fields
its words can change with a list of `Edit`s.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from ..dates import find_date
from ..parse import amounts, percent
from . import Call, Step, failed, find_then_act, not_one

DETAILS = re.compile(
    r"\b(?:details?|in\s+(?:full|detail)|pull\s+up|open\s+up|everything\s+(?:about|on)"
    r"|contact\s+card)\b",
    re.I,
)
DELETE = re.compile(r"\b(?:delete|remove|erase)\b", re.I)
CHANGE = re.compile(
    r"\b(?:change|set|update|make|move|rename|raise|lower|put|add\s+a\s+note)\b", re.I
)
_TO = re.compile(r"\b(?:to|as)\s+(?P<value>.+?)\s*[.!?]*$", re.I)
_NOTE = re.compile(r"\bnote\b[^:]*:\s*(?P<value>.+?)\s*[.!?]*$", re.I)
#: Columns a details answer leaves out: ids, owners and bookkeeping times.
_HIDDEN = re.compile(r"(?:^|_)id$|^user_id$|^(?:created|updated)_at$")


def value_after_to(text: str) -> str | None:
    """What a change sets the field to: the words after the last "to" ("... to 12 Elm
    Street" gives "12 Elm Street"), or after the colon of a note."""
    match = _NOTE.search(text) or _TO.search(text)
    return match["value"].strip() if match else None


def date_after_to(text: str, today: date) -> str | None:
    said = value_after_to(text)
    found = find_date(said, today) if said else None
    return found.isoformat() if found else None


def money_after_to(text: str, today: date) -> float | None:
    said = value_after_to(text) or ""
    found = amounts(said) or [float(n) for n in re.findall(r"^\$?(\d+(?:\.\d+)?)\b", said)]
    return found[0] if found else None


def percent_after_to(text: str, today: date) -> float | None:
    said = value_after_to(text) or ""
    return percent(said) if percent(said) is not None else money_after_to(text, today)


def words_after_to(text: str, today: date) -> str | None:
    said = value_after_to(text)
    return said[:1].upper() + said[1:] if said else None


@dataclass(frozen=True)
class Edit:
    """A field the words can change: the pattern that names it and how to read its value."""

    column: str
    words: re.Pattern
    read: Callable[[str, date], object]


def changes(text: str, today: date, edits: list[Edit]) -> dict:
    """The fields the words ask to change, with their new values (those that could be read)."""
    if not CHANGE.search(text):
        return {}
    values = {edit.column: edit.read(text, today) for edit in edits if edit.words.search(text)}
    return {column: value for column, value in values.items() if value is not None}


def record_calls(kind: str, noun: str, steps: list[Step], find: Call, values=None) -> list[Call]:
    """Find the record with `find`, then get ("details"), update ("edit") or delete it."""
    tool = {"details": "get", "edit": "update", "delete": "delete"}[kind]
    key = find[0].split("_", 1)[1]  # list_invoices finds "invoices", search_contacts "contacts"
    act = lambda row: (f"{tool}_{noun}", {"id": row["id"], **(values or {})})  # noqa: E731
    return find_then_act(steps, find, key, act)


def shown(value) -> str:
    if isinstance(value, list):
        return f"{len(value)} item{'s' * (len(value) != 1)}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def details_answer(record: dict, summary: str) -> str:
    """Every filled-in field of one record, one a line."""
    lines = [
        f"- {column.replace('_', ' ')}: {shown(value)}"
        for column, value in record.items()
        if value not in (None, "", [], {})
        and not _HIDDEN.search(column)
        and not isinstance(value, dict)
    ]
    return "\n".join([f"{summary}:", *lines])


def record_answer(steps: list[Step], noun: str, query: str, describe) -> str:
    """The answer after a details, edit or delete plan: which record was meant, or what
    the last tool did."""
    plural = steps[0].name.split("_", 1)[1]
    if len(steps) == 1:
        found = not_one(steps[0], plural, noun.replace("_", " "), query, describe)
        return found or f"What should I change on that {noun.replace('_', ' ')}?"
    last = steps[-1]
    if last.status != "ok":
        return failed(last)
    if last.name.startswith("get_"):
        return details_answer(last.result[noun], last.result["summary"])
    return f"Done: {last.result['summary']}."


def named_field(text: str, edits: list[Edit]) -> Edit | None:
    """The field a change names, when its words ask for one ("update Priya's phone")."""
    if not CHANGE.search(text):
        return None
    return next((edit for edit in edits if edit.words.search(text)), None)


def record_kind(text: str, today: date, edits: list[Edit]) -> tuple[str, dict] | None:
    """("details", {}) for a request to see one record in full, ("edit", values) for one to
    change its fields, else None."""
    if DETAILS.search(text):
        return "details", {}
    if values := changes(text, today, edits):
        return "edit", values
    return None
